package com.keypointstf.core;

/**
 * The constants of the person-centred crop rule ({@link CropTracker}); Python:
 * {@code keypoints_tf.crop_region.CropSettings}, whose defaults these equal (GoldenCropTest checks).
 *
 * <p>{@link #forContract} takes the model's calibrated threshold, expand and offset from its contract's
 * {@code crop} section (measured at export on the model's own training frames); the threshold is also the
 * confidence at which the app draws a keypoint.
 */
public final class CropSettings {

    /** A keypoint is visible (to the crop rule and on screen) at this confidence. */
    public final double threshold;
    /** Fewer visible keypoints than {@code max(2, ceil(fraction * K))}: tracking is lost. */
    public final double minVisibleFraction;
    /** Crop side / spread of the visible keypoints. */
    public final double expand;
    /** Crop centre minus the keypoints' median, in units of their spread. */
    public final double offsetX;
    public final double offsetY;
    /** Smallest crop side, as a share of the frame's longer side. */
    public final double minSideFraction;
    /** Weight of the previous region when blending it with the new target (0 = none). */
    public final double smoothing;

    public static final CropSettings DEFAULT = new CropSettings(0.3, 0.25, 2.7, 0.0, 0.0, 0.1, 0.5);

    public CropSettings(double threshold, double minVisibleFraction, double expand, double offsetX, double offsetY,
                        double minSideFraction, double smoothing) {
        if (!(threshold >= 0 && minVisibleFraction >= 0 && minVisibleFraction <= 1 && expand > 0
                && minSideFraction > 0 && minSideFraction <= 1 && smoothing >= 0 && smoothing < 1)
                || Double.isNaN(offsetX) || Double.isNaN(offsetY)) {
            throw new IllegalArgumentException("crop settings out of range: threshold " + threshold + ", fraction "
                    + minVisibleFraction + ", expand " + expand + ", offset (" + offsetX + ", " + offsetY
                    + "), min side " + minSideFraction + ", smoothing " + smoothing);
        }
        this.threshold = threshold;
        this.minVisibleFraction = minVisibleFraction;
        this.expand = expand;
        this.offsetX = offsetX;
        this.offsetY = offsetY;
        this.minSideFraction = minSideFraction;
        this.smoothing = smoothing;
    }

    /** The defaults with the contract's calibrated threshold, expand and offset where it has them. */
    public static CropSettings forContract(ModelContract contract) {
        ModelContract.Crop crop = contract.crop;
        if (crop == null) {
            return DEFAULT;
        }
        return new CropSettings(crop.threshold, DEFAULT.minVisibleFraction, crop.expand, crop.offsetX, crop.offsetY,
                DEFAULT.minSideFraction, DEFAULT.smoothing);
    }

    /** The same settings with another threshold (the user's choice on screen). */
    public CropSettings withThreshold(double newThreshold) {
        return new CropSettings(newThreshold, minVisibleFraction, expand, offsetX, offsetY, minSideFraction, smoothing);
    }

    /** How many keypoints of {@code numKeypoints} must be visible to keep tracking. */
    public int minVisible(int numKeypoints) {
        return Math.max(2, (int) Math.ceil(minVisibleFraction * numKeypoints));
    }

    @Override
    public String toString() {
        return "CropSettings(threshold=" + threshold + ", minVisibleFraction=" + minVisibleFraction + ", expand=" + expand
                + ", offset=(" + offsetX + ", " + offsetY + "), minSideFraction=" + minSideFraction + ", smoothing="
                + smoothing + ")";
    }
}
