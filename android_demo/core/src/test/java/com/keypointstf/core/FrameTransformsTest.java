package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class FrameTransformsTest {

    /** 3 wide, 2 high: [0 1 2 / 3 4 5]. */
    private static Frame numbered() {
        return new Frame(new int[] {0, 1, 2, 3, 4, 5}, 3, 2);
    }

    private static void assertFrame(int width, int height, int[] pixels, Frame frame) {
        assertEquals(width, frame.width);
        assertEquals(height, frame.height);
        assertArrayEquals(pixels, frame.pixels);
    }

    @Test
    public void rotatesFramesClockwise() {
        Frame frame = numbered();
        assertSame(frame, FrameTransforms.rotate(frame, 0));
        assertFrame(2, 3, new int[] {3, 0, 4, 1, 5, 2}, FrameTransforms.rotate(numbered(), 90));
        assertFrame(3, 2, new int[] {5, 4, 3, 2, 1, 0}, FrameTransforms.rotate(numbered(), 180));
        assertFrame(2, 3, new int[] {2, 5, 1, 4, 0, 3}, FrameTransforms.rotate(numbered(), 270));
        assertFrame(2, 3, new int[] {2, 5, 1, 4, 0, 3}, FrameTransforms.rotate(numbered(), -90));
        assertFrame(3, 2, new int[] {0, 1, 2, 3, 4, 5}, FrameTransforms.rotate(numbered(), 360));
    }

    @Test
    public void mirrorsFrames() {
        assertFrame(3, 2, new int[] {2, 1, 0, 5, 4, 3}, FrameTransforms.mirror(numbered()));
    }

    @Test
    public void rotatesPointsByHand() {
        // 3 x 2 frame: 90: (x, y) -> (2 - y, x); 180: -> (3 - x, 2 - y); 270: -> (y, 3 - x).
        float[] points = {0, 0, 3, 2, 1, 0.5f};
        assertArrayEquals(new float[] {2, 0, 0, 3, 1.5f, 1}, FrameTransforms.rotatePoints(points, 3, 2, 90), 0f);
        assertArrayEquals(new float[] {3, 2, 0, 0, 2, 1.5f}, FrameTransforms.rotatePoints(points, 3, 2, 180), 0f);
        assertArrayEquals(new float[] {0, 3, 2, 0, 0.5f, 2}, FrameTransforms.rotatePoints(points, 3, 2, 270), 0f);
        assertArrayEquals(new float[] {3, 0, 0, 2, 2, 0.5f}, FrameTransforms.mirrorPoints(points, 3), 0f);
    }

    @Test
    public void pointMapsFollowThePixelMaps() {
        Frame frame = numbered();
        for (int degrees : new int[] {0, 90, 180, 270}) {
            Frame rotated = FrameTransforms.rotate(frame, degrees);
            for (int y = 0; y < frame.height; y++) {
                for (int x = 0; x < frame.width; x++) {
                    float[] centre = FrameTransforms.rotatePoints(new float[] {x + 0.5f, y + 0.5f}, 3, 2, degrees);
                    int column = (int) Math.floor(centre[0]);
                    int row = (int) Math.floor(centre[1]);
                    assertEquals(degrees + " degrees", frame.argb(x, y), rotated.argb(column, row));
                    assertEquals(column + 0.5f, centre[0], 0f);
                }
            }
        }
        Frame mirrored = FrameTransforms.mirror(frame);
        float[] centre = FrameTransforms.mirrorPoints(new float[] {0.5f, 1.5f}, 3);
        assertEquals(frame.argb(0, 1), mirrored.argb((int) centre[0], (int) centre[1]));
    }

    @Test
    public void fourQuarterTurnsAreTheIdentity() {
        Frame frame = numbered();
        for (int i = 0; i < 4; i++) frame = FrameTransforms.rotate(frame, 90);
        assertFrame(3, 2, numbered().pixels, frame);
        float[] points = {0.25f, 1.75f};
        float[] moved = points;
        int w = 3;
        int h = 2;
        for (int i = 0; i < 4; i++) {
            moved = FrameTransforms.rotatePoints(moved, w, h, 90);
            int t = w;
            w = h;
            h = t;
        }
        assertArrayEquals(points, moved, 1e-6f);
    }

    @Test
    public void rotatedSizeSwapsForQuarterTurns() {
        assertArrayEquals(new int[] {480, 640}, FrameTransforms.rotatedSize(640, 480, 90));
        assertArrayEquals(new int[] {640, 480}, FrameTransforms.rotatedSize(640, 480, 180));
        assertArrayEquals(new int[] {480, 640}, FrameTransforms.rotatedSize(640, 480, -270 + 360 * 2));
    }

    @Test
    public void rejectsOtherAngles() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrameTransforms.rotate(numbered(), 45));
        assertEquals("rotation must be a multiple of 90 degrees, got 45", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Frame(new int[5], 3, 2));
    }

    @Test
    public void cutTakesARectangleAndPadsWithBlack() {
        int[] pixels = new int[6 * 4];
        for (int i = 0; i < pixels.length; i++) pixels[i] = 0xFF000000 | (i + 1);
        Frame frame = new Frame(pixels, 6, 4);
        Frame inside = FrameTransforms.cut(frame, 1, 1, 3, 2); // a CameraX crop rect
        assertArrayEquals(new int[] {frame.argb(1, 1), frame.argb(2, 1), frame.argb(3, 1), frame.argb(1, 2),
                frame.argb(2, 2), frame.argb(3, 2)}, inside.pixels);
        Frame outside = FrameTransforms.cut(frame, -1, 3, 2, 2);
        assertArrayEquals(new int[] {0, frame.argb(0, 3), 0, 0}, outside.pixels);
        assertSame(frame, FrameTransforms.cut(frame, 0, 0, 6, 4));
        assertArrayEquals(new int[4], FrameTransforms.cut(frame, 10, 10, 2, 2).pixels);
    }
}
