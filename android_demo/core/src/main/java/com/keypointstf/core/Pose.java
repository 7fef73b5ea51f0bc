package com.keypointstf.core;

/**
 * K keypoints with confidences, in one coordinate space (model input, frame or view pixels: the
 * producer says which). Immutable; coordinates are interleaved {@code [x0, y0, x1, y1, ...]}.
 */
public final class Pose {

    private final float[] xy;
    private final float[] confidence;

    public Pose(float[] xy, float[] confidence) {
        Letterbox.checkPoints(xy);
        if (confidence == null || confidence.length * 2 != xy.length) {
            throw new IllegalArgumentException("expected one confidence per keypoint (" + xy.length / 2 + "), got "
                    + (confidence == null ? "null" : String.valueOf(confidence.length)));
        }
        this.xy = xy.clone();
        this.confidence = confidence.clone();
    }

    public int numKeypoints() {
        return confidence.length;
    }

    public float x(int keypoint) {
        return xy[2 * keypoint];
    }

    public float y(int keypoint) {
        return xy[2 * keypoint + 1];
    }

    public float confidence(int keypoint) {
        return confidence[keypoint];
    }

    /** The confidence threshold: a keypoint is shown when its confidence is at least {@code threshold}. */
    public boolean isVisible(int keypoint, float threshold) {
        return confidence[keypoint] >= threshold;
    }

    /** A copy of the interleaved coordinates. */
    public float[] xy() {
        return xy.clone();
    }

    public float[] confidences() {
        return confidence.clone();
    }

    /** The same confidences with new coordinates (e.g. mapped to another space). */
    public Pose withXy(float[] newXy) {
        return new Pose(newXy, confidence);
    }
}
