package com.keypointstf.core;

/**
 * Temporal smoothing of a stream of poses: one {@link OneEuroFilter} per keypoint coordinate.
 *
 * <p>A keypoint below the confidence threshold is passed through raw and its filters are reset, so that
 * when it comes back it starts where it is instead of gliding in from where it was lost. Confidences are
 * not smoothed. Call {@link #reset()} when the stream restarts (camera switched, model changed).
 */
public final class PoseSmoother {

    private final OneEuroFilter[] filters;
    private final float threshold;

    public PoseSmoother(int numKeypoints, double minCutoff, double beta, double derivativeCutoff, float threshold) {
        filters = new OneEuroFilter[2 * numKeypoints];
        for (int i = 0; i < filters.length; i++) {
            filters[i] = new OneEuroFilter(minCutoff, beta, derivativeCutoff);
        }
        this.threshold = threshold;
    }

    public Pose smooth(Pose pose, double timestampSeconds) {
        if (2 * pose.numKeypoints() != filters.length) {
            throw new IllegalArgumentException("this smoother tracks " + filters.length / 2 + " keypoints, got a pose with "
                    + pose.numKeypoints());
        }
        float[] xy = pose.xy();
        for (int k = 0; k < pose.numKeypoints(); k++) {
            for (int c = 2 * k; c < 2 * k + 2; c++) {
                if (pose.isVisible(k, threshold)) {
                    xy[c] = (float) filters[c].filter(xy[c], timestampSeconds);
                } else {
                    filters[c].reset();
                }
            }
        }
        return pose.withXy(xy);
    }

    public void reset() {
        for (OneEuroFilter filter : filters) filter.reset();
    }
}
