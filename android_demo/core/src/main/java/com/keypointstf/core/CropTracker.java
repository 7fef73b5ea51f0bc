package com.keypointstf.core;

import java.util.Arrays;

/**
 * A person-centred crop that follows the keypoints from frame to frame (Python:
 * {@code keypoints_tf.crop_region}, the same rule; GoldenCropTest replays Python's golden file).
 *
 * <p>Letterboxing a whole camera frame into a 64 px input leaves a person a few pixels tall; like MoveNet's
 * demo, the model instead sees a square around where the person was in the previous frame:
 * <ol>
 *   <li>With no region (first frame, tracking lost, frame size changed) the model sees the whole frame.
 *   <li>After each frame, keypoints with confidence at least {@code threshold} are visible; with fewer than
 *       {@link CropSettings#minVisible} of them, tracking is lost.
 *   <li>Otherwise, with c the per-axis median of the visible keypoints and e twice the larger of their two
 *       per-axis median absolute deviations ({@link #spread}), the target is the square of side
 *       {@code expand * e}, clamped to {@code [minSideFraction, 1] * max(W, H)}, centred at
 *       {@code c + offset * e}, clamped to the frame.
 *   <li>It is blended with the previous region: {@code smoothing * previous + (1 - smoothing) * target}.
 *   <li>The region's integer square is cut out ({@link CropRegion}).
 * </ol>
 *
 * <p>Example, per frame: {@code region = tracker.region(w, h); input = region == null ? frame :
 * region.crop(frame); pose = ...; if (region != null) pose = region.toFrame(pose); tracker.update(pose, w, h);}
 */
public final class CropTracker {

    private final CropSettings settings;
    private CropRegion region;
    private int frameWidth;
    private int frameHeight;

    public CropTracker(CropSettings settings) {
        this.settings = settings;
    }

    public CropSettings settings() {
        return settings;
    }

    /** The region to cut from the next {@code width x height} frame, or null for the whole frame. */
    public CropRegion region(int width, int height) {
        return width == frameWidth && height == frameHeight ? region : null;
    }

    /** Starts from a known region (e.g. a person detector's box). */
    public void start(CropRegion start, int width, int height) {
        region = start;
        frameWidth = width;
        frameHeight = height;
    }

    /** Forgets the region: the next frame is seen whole (camera switched, model changed). */
    public void reset() {
        region = null;
        frameWidth = 0;
        frameHeight = 0;
    }

    /** Takes this frame's pose (frame pixels); returns the region for the next frame (null: lost). */
    public CropRegion update(Pose framePose, int width, int height) {
        CropRegion target = target(framePose, width, height, settings);
        CropRegion previous = region(width, height);
        if (target != null && previous != null) {
            double s = settings.smoothing;
            target = new CropRegion(s * previous.centerX + (1 - s) * target.centerX,
                    s * previous.centerY + (1 - s) * target.centerY, s * previous.side + (1 - s) * target.side);
        }
        region = target;
        frameWidth = width;
        frameHeight = height;
        return target;
    }

    /** Rules 2 and 3 for one pose: the region around its visible keypoints, or null when too few are visible. */
    public static CropRegion target(Pose pose, int width, int height, CropSettings settings) {
        int k = pose.numKeypoints();
        double[] xs = new double[k];
        double[] ys = new double[k];
        int n = 0;
        for (int i = 0; i < k; i++) {
            float x = pose.x(i);
            float y = pose.y(i);
            if (pose.confidence(i) >= settings.threshold && !Float.isNaN(x) && !Float.isNaN(y)
                    && !Float.isInfinite(x) && !Float.isInfinite(y)) {
                xs[n] = x;
                ys[n] = y;
                n++;
            }
        }
        if (n < settings.minVisible(k)) {
            return null;
        }
        double[] spread = spread(Arrays.copyOf(xs, n), Arrays.copyOf(ys, n));
        double extent = spread[2];
        double longest = Math.max(width, height);
        double side = Math.min(Math.max(settings.expand * extent, settings.minSideFraction * longest), longest);
        double centerX = Math.min(Math.max(spread[0] + settings.offsetX * extent, 0.0), width);
        double centerY = Math.min(Math.max(spread[1] + settings.offsetY * extent, 0.0), height);
        return new CropRegion(centerX, centerY, side);
    }

    /**
     * {medianX, medianY, e}: the per-axis median of the points and twice the larger of their per-axis median
     * absolute deviations. A few keypoints thrown far off move neither.
     */
    static double[] spread(double[] xs, double[] ys) {
        double mx = median(xs);
        double my = median(ys);
        double[] dx = new double[xs.length];
        double[] dy = new double[ys.length];
        for (int i = 0; i < xs.length; i++) {
            dx[i] = Math.abs(xs[i] - mx);
            dy[i] = Math.abs(ys[i] - my);
        }
        return new double[] {mx, my, 2.0 * Math.max(median(dx), median(dy))};
    }

    /** The median (the mean of the two middle values for an even count), as NumPy's. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
