package com.keypointstf.core;

/**
 * Frame pixels -> view pixels, for a frame shown in a view of another size.
 *
 * <p>{@link ScaleMode#FIT} shows the whole frame (bars on two sides), {@link ScaleMode#FILL} fills the view
 * and crops the frame (CameraX {@code PreviewView}'s default {@code FILL_CENTER}); both keep the aspect
 * ratio and centre the frame. With {@code mirror} the frame is flipped left-right first (the front
 * camera's preview): view = ((mirror ? W - x : x) * scale + offsetX, y * scale + offsetY).
 */
public final class ViewTransform {

    /** How the frame is scaled into the view. */
    public enum ScaleMode {
        FIT,
        FILL
    }

    public final int frameWidth;
    public final int frameHeight;
    public final boolean mirror;
    public final double scale;
    public final double offsetX;
    public final double offsetY;

    private ViewTransform(int frameWidth, int frameHeight, boolean mirror, double scale, double offsetX,
                          double offsetY) {
        this.frameWidth = frameWidth;
        this.frameHeight = frameHeight;
        this.mirror = mirror;
        this.scale = scale;
        this.offsetX = offsetX;
        this.offsetY = offsetY;
    }

    public static ViewTransform of(int frameWidth, int frameHeight, float viewWidth, float viewHeight, ScaleMode mode,
                                   boolean mirror) {
        if (frameWidth <= 0 || frameHeight <= 0 || !(viewWidth > 0) || !(viewHeight > 0)) {
            throw new IllegalArgumentException("expected positive frame and view sizes, got frame " + frameWidth + " x "
                    + frameHeight + ", view " + viewWidth + " x " + viewHeight);
        }
        double sx = viewWidth / (double) frameWidth;
        double sy = viewHeight / (double) frameHeight;
        double scale = mode == ScaleMode.FIT ? Math.min(sx, sy) : Math.max(sx, sy);
        return new ViewTransform(frameWidth, frameHeight, mirror, scale, (viewWidth - frameWidth * scale) / 2.0,
                (viewHeight - frameHeight * scale) / 2.0);
    }

    /**
     * The overlay's transform for a camera frame shown by PreviewView (FILL_CENTER): mirrored when the camera
     * that took this frame faces the user ({@link LensFacing#mirrorsPreview}).
     */
    public static ViewTransform forCameraFrame(int frameWidth, int frameHeight, int lensFacing, float viewWidth,
                                               float viewHeight) {
        return of(frameWidth, frameHeight, viewWidth, viewHeight, ScaleMode.FILL, LensFacing.mirrorsPreview(lensFacing));
    }

    public float[] apply(float[] xy) {
        Letterbox.checkPoints(xy);
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            double x = mirror ? frameWidth - xy[i] : xy[i];
            out[i] = (float) (x * scale + offsetX);
            out[i + 1] = (float) (xy[i + 1] * scale + offsetY);
        }
        return out;
    }

    public Pose apply(Pose framePose) {
        return framePose.withXy(apply(framePose.xy()));
    }
}
