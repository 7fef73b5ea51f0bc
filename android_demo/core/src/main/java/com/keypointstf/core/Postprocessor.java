package com.keypointstf.core;

/**
 * Raw model outputs -> a {@link Pose} in frame pixels.
 *
 * <p>{@code keypoints} [1, K, 2] are continuous pixel coordinates of the S x S input; the letterbox
 * inverse ({@link Letterbox#inputToFrame}) maps them to the frame that was letterboxed. {@code confidence}
 * [1, K] passes through.
 */
public final class Postprocessor {

    private final int numKeypoints;

    public Postprocessor(ModelContract contract) {
        this.numKeypoints = contract.numKeypoints();
    }

    /**
     * @param keypoints the flattened [1, K, 2] output, input pixels
     * @param confidence the flattened [1, K] output
     * @param letterbox the letterbox used for this frame ({@link InputTensor#letterbox})
     */
    public Pose toFramePose(float[] keypoints, float[] confidence, Letterbox letterbox) {
        if (keypoints == null || keypoints.length != 2 * numKeypoints) {
            throw new IllegalArgumentException("expected the keypoints output to hold " + numKeypoints + " x 2 values, got "
                    + (keypoints == null ? "null" : String.valueOf(keypoints.length)));
        }
        if (confidence == null || confidence.length != numKeypoints) {
            throw new IllegalArgumentException("expected the confidence output to hold " + numKeypoints + " values, got "
                    + (confidence == null ? "null" : String.valueOf(confidence.length)));
        }
        return new Pose(letterbox.inputToFrame(keypoints), confidence);
    }
}
