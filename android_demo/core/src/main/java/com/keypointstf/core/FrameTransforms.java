package com.keypointstf.core;

/**
 * Rotation by 0/90/180/270 degrees clockwise and horizontal mirroring, of frames and of points.
 *
 * <p>CameraX reports {@code ImageInfo.getRotationDegrees()}: rotating the buffer by that many degrees
 * clockwise makes it upright. Points use continuous pixel coordinates, so the point maps agree with the
 * pixel maps: the centre of a pixel lands on the centre of the pixel it moved to. For a W x H frame:
 * 90: (x, y) -> (H - y, x); 180: (x, y) -> (W - x, H - y); 270: (x, y) -> (y, W - x); mirror:
 * (x, y) -> (W - x, y). Mirroring does not relabel left/right keypoints: sides are the subject's own.
 */
public final class FrameTransforms {

    private FrameTransforms() {}

    /** The frame rotated {@code degrees} clockwise (0, 90, 180 or 270); 0 returns the same frame. */
    public static Frame rotate(Frame frame, int degrees) {
        int w = frame.width;
        int h = frame.height;
        int[] src = frame.pixels;
        switch (normalizeDegrees(degrees)) {
            case 0:
                return frame;
            case 90: {
                int[] dst = new int[w * h];
                // Output is h wide and w high; output (c, r) comes from input (r, h - 1 - c).
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        dst[x * h + (h - 1 - y)] = src[y * w + x];
                    }
                }
                return new Frame(dst, h, w);
            }
            case 180: {
                int[] dst = new int[w * h];
                for (int i = 0; i < w * h; i++) {
                    dst[w * h - 1 - i] = src[i];
                }
                return new Frame(dst, w, h);
            }
            default: { // 270
                int[] dst = new int[w * h];
                // Output (c, r) comes from input (w - 1 - r, c).
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        dst[(w - 1 - x) * h + y] = src[y * w + x];
                    }
                }
                return new Frame(dst, h, w);
            }
        }
    }

    /** The frame flipped left-right (what a front camera preview shows). */
    public static Frame mirror(Frame frame) {
        int w = frame.width;
        int[] dst = new int[frame.pixels.length];
        for (int y = 0; y < frame.height; y++) {
            int row = y * w;
            for (int x = 0; x < w; x++) {
                dst[row + (w - 1 - x)] = frame.pixels[row + x];
            }
        }
        return new Frame(dst, w, frame.height);
    }

    /**
     * The {@code width x height} rectangle of {@code frame} whose top-left pixel is (x0, y0), black (0) where
     * it leaves the frame: CameraX's crop rect (inside the buffer) and the person crop (may stick out).
     */
    public static Frame cut(Frame frame, int x0, int y0, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("cut size must be positive, got " + width + " x " + height);
        }
        if (x0 == 0 && y0 == 0 && width == frame.width && height == frame.height) {
            return frame;
        }
        int[] dst = new int[width * height];
        int fromX = Math.max(x0, 0);
        int toX = Math.min(x0 + width, frame.width);
        for (int y = Math.max(y0, 0); y < Math.min(y0 + height, frame.height); y++) {
            if (toX > fromX) {
                System.arraycopy(frame.pixels, y * frame.width + fromX, dst, (y - y0) * width + (fromX - x0), toX - fromX);
            }
        }
        return new Frame(dst, width, height);
    }

    /** Points of a {@code width x height} frame, moved to where {@link #rotate} puts them. */
    public static float[] rotatePoints(float[] xy, int width, int height, int degrees) {
        Letterbox.checkPoints(xy);
        int d = normalizeDegrees(degrees);
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            float x = xy[i];
            float y = xy[i + 1];
            switch (d) {
                case 0: out[i] = x; out[i + 1] = y; break;
                case 90: out[i] = height - y; out[i + 1] = x; break;
                case 180: out[i] = width - x; out[i + 1] = height - y; break;
                default: out[i] = y; out[i + 1] = width - x; break;
            }
        }
        return out;
    }

    /** Points of a frame {@code width} wide, moved to where {@link #mirror} puts them. */
    public static float[] mirrorPoints(float[] xy, int width) {
        Letterbox.checkPoints(xy);
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = width - xy[i];
            out[i + 1] = xy[i + 1];
        }
        return out;
    }

    /** {width, height} of a {@code width x height} frame after rotating it {@code degrees}. */
    public static int[] rotatedSize(int width, int height, int degrees) {
        int d = normalizeDegrees(degrees);
        return d == 90 || d == 270 ? new int[] {height, width} : new int[] {width, height};
    }

    /** 0, 90, 180 or 270 for any multiple of 90 (negative ones too). */
    public static int normalizeDegrees(int degrees) {
        if (degrees % 90 != 0) {
            throw new IllegalArgumentException("rotation must be a multiple of 90 degrees, got " + degrees);
        }
        return ((degrees % 360) + 360) % 360;
    }
}
