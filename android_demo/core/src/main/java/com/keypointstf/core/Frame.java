package com.keypointstf.core;

/**
 * An image as ARGB ints (0xAARRGGBB, row-major, {@code pixels[y * width + x]}), as
 * {@code android.graphics.Bitmap.getPixels} and {@code java.awt.image.BufferedImage.getRGB} give them.
 * The array is not copied.
 */
public final class Frame {

    public final int[] pixels;
    public final int width;
    public final int height;

    public Frame(int[] pixels, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("frame size must be positive, got " + width + " x " + height);
        }
        if (pixels == null || pixels.length != width * height) {
            throw new IllegalArgumentException("expected " + width + " x " + height + " = " + (width * height)
                    + " ARGB pixels, got " + (pixels == null ? "null" : String.valueOf(pixels.length)));
        }
        this.pixels = pixels;
        this.width = width;
        this.height = height;
    }

    public int argb(int x, int y) {
        return pixels[y * width + x];
    }
}
