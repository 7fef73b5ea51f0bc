package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.util.Random;
import org.junit.Test;

public class PreprocessorTest {

    private static ModelContract contract(int size, String dtype, boolean appliedInModel) {
        String json = TestFiles.contractJson()
                .replace("[1, 32, 32, 3]", "[1, " + size + ", " + size + ", 3]")
                .replace("\"dtype\": \"uint8\"", "\"dtype\": \"" + dtype + "\"")
                .replace("\"applied_in_model\": true", "\"applied_in_model\": " + appliedInModel);
        return ModelContract.fromJson(json, "test contract");
    }

    private static Frame uniform(int width, int height, int argb) {
        int[] pixels = new int[width * height];
        java.util.Arrays.fill(pixels, argb);
        return new Frame(pixels, width, height);
    }

    private static int at(byte[] tensor, int size, int x, int y, int channel) {
        return tensor[(y * size + x) * 3 + channel] & 0xFF;
    }

    @Test
    public void argbBecomesRgbAndAlphaIsIgnored() {
        InputTensor tensor = new Preprocessor(contract(1, "uint8", true)).process(uniform(1, 1, 0x80102030));
        assertArrayEquals(new byte[] {0x10, 0x20, 0x30}, tensor.uint8);
        assertNull(tensor.float32);
    }

    @Test
    public void frameOfTheInputSizeIsCopiedExactly() {
        Random random = new Random(1);
        int[] pixels = new int[32 * 32];
        for (int i = 0; i < pixels.length; i++) pixels[i] = 0xFF000000 | random.nextInt(0x1000000);
        InputTensor tensor = new Preprocessor(contract(32, "uint8", true)).process(new Frame(pixels, 32, 32));
        for (int i = 0; i < pixels.length; i++) {
            assertEquals((pixels[i] >> 16) & 0xFF, tensor.uint8[3 * i] & 0xFF);
            assertEquals((pixels[i] >> 8) & 0xFF, tensor.uint8[3 * i + 1] & 0xFF);
            assertEquals(pixels[i] & 0xFF, tensor.uint8[3 * i + 2] & 0xFF);
        }
    }

    @Test
    public void pastesOnZerosAtTheLetterboxOffset() {
        // 4 x 2 frame in a 4 x 4 input: s = 1, (left, top) = (0, 1): rows 0 and 3 stay black.
        InputTensor tensor = new Preprocessor(contract(4, "uint8", true)).process(uniform(4, 2, 0xFF0A141E));
        assertEquals(1, tensor.letterbox.top);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                boolean inside = y == 1 || y == 2;
                assertEquals(inside ? 10 : 0, at(tensor.uint8, 4, x, y, 0));
                assertEquals(inside ? 20 : 0, at(tensor.uint8, 4, x, y, 1));
                assertEquals(inside ? 30 : 0, at(tensor.uint8, 4, x, y, 2));
            }
        }
    }

    @Test
    public void shrinkingAveragesTheCoveredArea() {
        // 4 x 4 -> 2 x 2: each output pixel is the mean of a 2 x 2 block.
        int[] red = {0, 100, 40, 40,
                     50, 250, 40, 40,
                     0, 0, 255, 255,
                     0, 0, 255, 255};
        int[] pixels = new int[16];
        for (int i = 0; i < 16; i++) pixels[i] = 0xFF000000 | red[i] << 16 | 7 << 8 | 200;
        byte[] out = new Preprocessor(contract(2, "uint8", true)).process(new Frame(pixels, 4, 4)).uint8;
        assertEquals(100, at(out, 2, 0, 0, 0));
        assertEquals(40, at(out, 2, 1, 0, 0));
        assertEquals(0, at(out, 2, 0, 1, 0));
        assertEquals(255, at(out, 2, 1, 1, 0));
        assertEquals(7, at(out, 2, 1, 1, 1));
        assertEquals(200, at(out, 2, 0, 1, 2));
    }

    @Test
    public void shrinkingByANonIntegerFactorWeightsPartialPixels() {
        // 3 x 1 -> 2 x 1 (h' = floor(2/3 + 0.5) = 1): output 0 covers [0, 1.5): (0 * 1 + 90 * 0.5) / 1.5 = 30;
        // output 1 covers [1.5, 3): (90 * 0.5 + 180 * 1) / 1.5 = 150.
        int[] pixels = {0xFF000000, 0xFF5A0000, 0xFFB40000};
        byte[] out = new Preprocessor(contract(2, "uint8", true)).process(new Frame(pixels, 3, 1)).uint8;
        assertEquals(30, at(out, 2, 0, 0, 0));
        assertEquals(150, at(out, 2, 1, 0, 0));
        assertEquals(0, at(out, 2, 0, 1, 0));
    }

    @Test
    public void enlargingAUniformFrameKeepsItsColour() {
        byte[] out = new Preprocessor(contract(5, "uint8", true)).process(uniform(1, 1, 0xFF336699)).uint8;
        for (int i = 0; i < 25; i++) {
            assertEquals(0x33, out[3 * i] & 0xFF);
            assertEquals(0x99, out[3 * i + 2] & 0xFF);
        }
    }

    @Test
    public void shrinkingPreservesTheMean() {
        Random random = new Random(7);
        int w = 97;
        int h = 61;
        int[] pixels = new int[w * h];
        long sum = 0;
        for (int i = 0; i < pixels.length; i++) {
            int v = random.nextInt(256);
            pixels[i] = 0xFF000000 | v << 16 | v << 8 | v;
            sum += v;
        }
        InputTensor tensor = new Preprocessor(contract(32, "uint8", true)).process(new Frame(pixels, w, h));
        Letterbox lb = tensor.letterbox;
        long contentSum = 0;
        for (int y = lb.top; y < lb.top + lb.resizedHeight; y++) {
            for (int x = lb.left; x < lb.left + lb.resizedWidth; x++) {
                contentSum += at(tensor.uint8, 32, x, y, 0);
            }
        }
        double contentMean = (double) contentSum / (lb.resizedWidth * lb.resizedHeight);
        assertEquals((double) sum / pixels.length, contentMean, 0.5);
    }

    @Test
    public void float32AppliesScaleAndOffsetIncludingThePadding() {
        InputTensor tensor = new Preprocessor(contract(2, "float32", false)).process(uniform(2, 1, 0xFFFF0080));
        assertNull(tensor.uint8);
        // h' = 1, top = (2 - 1) / 2 = 0: row 0 is the frame, row 1 the zero padding (0 * scale + offset).
        float scale = 2f / 255f;
        assertArrayEquals(new float[] {255 * scale - 1, -1, 128 * scale - 1, 255 * scale - 1, -1, 128 * scale - 1,
                -1, -1, -1, -1, -1, -1}, tensor.float32, 1e-6f);
    }

    @Test
    public void float32WithNormalizationInTheModelPassesRawPixels() {
        InputTensor tensor = new Preprocessor(contract(1, "float32", true)).process(uniform(1, 1, 0xFF0102FF));
        assertArrayEquals(new float[] {1, 2, 255}, tensor.float32, 0f);
    }
}
