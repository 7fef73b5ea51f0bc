package com.keypointstf.core;

/**
 * How a W x H frame becomes the square S x S model input, and how points map between the two.
 *
 * <p>The rule (Python: {@code keypoints_tf.data.letterbox.letterbox_transform}): s = S / max(W, H);
 * w' = floor(W s + 0.5), h' = floor(H s + 0.5) (at least 1); the frame is resized to (w', h') and pasted at
 * (left, top) = ((S - w') / 2, (S - h') / 2) (integer division) on zeros. In continuous pixel coordinates
 * (x right, y down, origin at the top-left corner, pixel (i, j) centred at (i + 0.5, j + 0.5)) a frame
 * point u maps exactly to (u_x w' / W + left, u_y h' / H + top).
 *
 * <p>Points are interleaved float arrays {@code [x0, y0, x1, y1, ...]}; the maths is done in double.
 */
public final class Letterbox {

    public final int frameWidth;
    public final int frameHeight;
    /** S. */
    public final int size;
    /** w'. */
    public final int resizedWidth;
    /** h'. */
    public final int resizedHeight;
    public final int left;
    public final int top;
    /** w' / W. */
    public final double scaleX;
    /** h' / H. */
    public final double scaleY;

    private Letterbox(int frameWidth, int frameHeight, int size) {
        if (frameWidth <= 0 || frameHeight <= 0 || size <= 0) {
            throw new IllegalArgumentException("letterbox needs a positive frame size and input size, got frame "
                    + frameWidth + " x " + frameHeight + " and input " + size);
        }
        this.frameWidth = frameWidth;
        this.frameHeight = frameHeight;
        this.size = size;
        double s = (double) size / Math.max(frameWidth, frameHeight);
        this.resizedWidth = Math.max(1, (int) Math.floor(frameWidth * s + 0.5));
        this.resizedHeight = Math.max(1, (int) Math.floor(frameHeight * s + 0.5));
        this.left = (size - resizedWidth) / 2;
        this.top = (size - resizedHeight) / 2;
        this.scaleX = (double) resizedWidth / frameWidth;
        this.scaleY = (double) resizedHeight / frameHeight;
    }

    /** The letterbox of a {@code frameWidth x frameHeight} frame into a {@code size x size} input. */
    public static Letterbox of(int frameWidth, int frameHeight, int size) {
        return new Letterbox(frameWidth, frameHeight, size);
    }

    /** Frame pixels -> input pixels (Python {@code frame_to_input}). */
    public float[] frameToInput(float[] xy) {
        checkPoints(xy);
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) (xy[i] * scaleX + left);
            out[i + 1] = (float) (xy[i + 1] * scaleY + top);
        }
        return out;
    }

    /** Input pixels -> frame pixels (Python {@code input_to_frame}): how model outputs reach the frame. */
    public float[] inputToFrame(float[] xy) {
        checkPoints(xy);
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) ((xy[i] - (double) left) / scaleX);
            out[i + 1] = (float) ((xy[i + 1] - (double) top) / scaleY);
        }
        return out;
    }

    static void checkPoints(float[] xy) {
        if (xy == null || xy.length % 2 != 0) {
            throw new IllegalArgumentException("expected interleaved points [x0, y0, x1, y1, ...], got "
                    + (xy == null ? "null" : xy.length + " values"));
        }
    }

    @Override
    public String toString() {
        return "Letterbox(" + frameWidth + "x" + frameHeight + " -> " + resizedWidth + "x" + resizedHeight + " at ("
                + left + ", " + top + ") in " + size + "x" + size + ")";
    }
}
