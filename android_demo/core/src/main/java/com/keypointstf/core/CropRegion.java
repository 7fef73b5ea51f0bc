package com.keypointstf.core;

/**
 * A square crop region in frame pixels (Python: {@code keypoints_tf.crop_region.CropRegion}): its centre
 * and side before rounding, and the integer square of pixels it cuts out.
 *
 * <p>Rounding (rule 5 of {@link CropTracker}): {@code side = max(1, floor(side + 0.5))},
 * {@code x0 = floor(centerX - side / 2 + 0.5)}, {@code y0} likewise. The cut-out square is black where it
 * leaves the frame; the model letterboxes it (an exact resize, as it is square) and a keypoint at crop pixel
 * u is at frame pixel {@code (x0, y0) + u}.
 */
public final class CropRegion {

    public final double centerX;
    public final double centerY;
    public final double side;
    /** The integer square: left, top, side. */
    public final int x0;
    public final int y0;
    public final int squareSide;

    public CropRegion(double centerX, double centerY, double side) {
        if (!(side > 0) || Double.isNaN(centerX) || Double.isNaN(centerY) || Double.isInfinite(centerX)
                || Double.isInfinite(centerY) || Double.isInfinite(side)) {
            throw new IllegalArgumentException("expected a finite centre and a positive side, got (" + centerX + ", "
                    + centerY + ") side " + side);
        }
        this.centerX = centerX;
        this.centerY = centerY;
        this.side = side;
        this.squareSide = (int) Math.max(1, Math.floor(side + 0.5));
        this.x0 = (int) Math.floor(centerX - squareSide / 2.0 + 0.5);
        this.y0 = (int) Math.floor(centerY - squareSide / 2.0 + 0.5);
    }

    /** The region whose integer square is {@code (x0, y0, side)} (e.g. a person detector's box). */
    public static CropRegion fromSquare(int x0, int y0, int side) {
        return new CropRegion(x0 + side / 2.0, y0 + side / 2.0, side);
    }

    /** The square's pixels of {@code frame}, black outside it: what the model sees. */
    public Frame crop(Frame frame) {
        return FrameTransforms.cut(frame, x0, y0, squareSide, squareSide);
    }

    /** A pose found in {@link #crop}'s pixels, in the frame's pixels. */
    public Pose toFrame(Pose cropPose) {
        float[] xy = cropPose.xy();
        for (int i = 0; i < xy.length; i += 2) {
            xy[i] += x0;
            xy[i + 1] += y0;
        }
        return cropPose.withXy(xy);
    }

    @Override
    public String toString() {
        return "CropRegion(centre (" + centerX + ", " + centerY + "), side " + side + "; square " + x0 + ", " + y0 + ", "
                + squareSide + ")";
    }
}
