package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

/** Hand-computed cases of s = S / max(W, H), w' = floor(W s + 0.5), (left, top) = ((S - w') / 2, (S - h') / 2). */
public class LetterboxTest {

    private static final float EPS = 1e-4f;

    private static void assertLetterbox(Letterbox lb, int resizedWidth, int resizedHeight, int left, int top) {
        assertEquals("w'", resizedWidth, lb.resizedWidth);
        assertEquals("h'", resizedHeight, lb.resizedHeight);
        assertEquals("left", left, lb.left);
        assertEquals("top", top, lb.top);
        assertEquals((double) resizedWidth / lb.frameWidth, lb.scaleX, 1e-12);
        assertEquals((double) resizedHeight / lb.frameHeight, lb.scaleY, 1e-12);
    }

    @Test
    public void landscapeFrame() {
        Letterbox lb = Letterbox.of(96, 72, 64); // s = 2/3
        assertLetterbox(lb, 64, 48, 0, 8);
        float[] frame = {0, 0, 96, 72, 48, 36, 0.5f, 0.5f};
        assertArrayEquals(new float[] {0, 8, 64, 56, 32, 32, 1 / 3f, 8 + 1 / 3f}, lb.frameToInput(frame), EPS);
    }

    @Test
    public void portraitFrame() {
        Letterbox lb = Letterbox.of(72, 96, 64);
        assertLetterbox(lb, 48, 64, 8, 0);
        assertArrayEquals(new float[] {8, 0, 56, 64}, lb.frameToInput(new float[] {0, 0, 72, 96}), EPS);
    }

    @Test
    public void oddSizesUseIntegerDivisionForTheOffset() {
        // 37 * 64 / 101 = 23.4455 -> h' = 23; top = (64 - 23) / 2 = 20 (not 20.5).
        Letterbox lb = Letterbox.of(101, 37, 64);
        assertLetterbox(lb, 64, 23, 0, 20);
        assertArrayEquals(new float[] {64, 43, 0, 31.5f}, lb.frameToInput(new float[] {101, 37, 0, 18.5f}), EPS);
        // 2 * 8 / 3 = 5.33 -> h' = 5; top = 3 / 2 = 1.
        Letterbox small = Letterbox.of(3, 2, 8);
        assertLetterbox(small, 8, 5, 0, 1);
        assertArrayEquals(new float[] {4, 3.5f}, small.frameToInput(new float[] {1.5f, 1}), EPS);
    }

    @Test
    public void halvesRoundUpLikeFloorOfXPlusHalf() {
        // 5 * 0.5 = 2.5 -> floor(3.0) = 3 (banker's rounding would give 2).
        assertLetterbox(Letterbox.of(8, 5, 4), 4, 3, 0, 0);
    }

    @Test
    public void upscalesSmallFrames() {
        Letterbox lb = Letterbox.of(10, 5, 64); // s = 6.4
        assertLetterbox(lb, 64, 32, 0, 16);
        assertArrayEquals(new float[] {32, 32}, lb.frameToInput(new float[] {5, 2.5f}), EPS);
    }

    @Test
    public void squareFrameOfTheInputSizeIsTheIdentity() {
        Letterbox lb = Letterbox.of(64, 64, 64);
        assertLetterbox(lb, 64, 64, 0, 0);
        float[] points = {0.5f, 63.5f, 12.25f, 7};
        assertArrayEquals(points, lb.inputToFrame(points), 0f);
    }

    @Test
    public void inputToFrameInvertsFrameToInput() {
        int[][] sizes = {{96, 72}, {72, 96}, {101, 37}, {640, 480}, {3, 2}, {1, 1000}};
        float[] frame = {0, 0, 0.5f, 0.5f, 1, 1, 0.3f, 0.9f};
        for (int[] size : sizes) {
            float[] scaled = frame.clone();
            for (int i = 0; i < scaled.length; i += 2) {
                scaled[i] *= size[0];
                scaled[i + 1] *= size[1];
            }
            Letterbox lb = Letterbox.of(size[0], size[1], 64);
            assertArrayEquals(lb.toString(), scaled, lb.inputToFrame(lb.frameToInput(scaled)), 1e-3f * Math.max(size[0], size[1]) / 64);
        }
        // Input (left, top) is frame (0, 0); input (left + w', top + h') is frame (W, H).
        Letterbox lb = Letterbox.of(101, 37, 64);
        assertArrayEquals(new float[] {0, 0, 101, 37}, lb.inputToFrame(new float[] {0, 20, 64, 43}), EPS);
    }

    @Test
    public void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> Letterbox.of(0, 10, 64));
        assertThrows(IllegalArgumentException.class, () -> Letterbox.of(10, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> Letterbox.of(10, 10, 8).frameToInput(new float[3]));
    }
}
