package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class ViewTransformTest {

    private static final float EPS = 1e-3f;

    @Test
    public void fitShowsTheWholeFrameWithBars() {
        // 480 x 640 frame in a 1080 x 1920 view: scale = min(2.25, 3) = 2.25, bars of (1920 - 1440) / 2 = 240.
        ViewTransform t = ViewTransform.of(480, 640, 1080, 1920, ViewTransform.ScaleMode.FIT, false);
        assertEquals(2.25, t.scale, 1e-12);
        assertArrayEquals(new float[] {0, 240, 540, 960, 1080, 1680}, t.apply(new float[] {0, 0, 240, 320, 480, 640}), EPS);
    }

    @Test
    public void fillCropsTheFrame() {
        // scale = max(2.25, 3) = 3: the frame is 1440 wide, 180 px cut on each side.
        ViewTransform t = ViewTransform.of(480, 640, 1080, 1920, ViewTransform.ScaleMode.FILL, false);
        assertEquals(3.0, t.scale, 1e-12);
        assertArrayEquals(new float[] {-180, 0, 540, 960, 1260, 1920}, t.apply(new float[] {0, 0, 240, 320, 480, 640}), EPS);
    }

    @Test
    public void mirrorFlipsBeforeScaling() {
        ViewTransform t = ViewTransform.of(480, 640, 1080, 1920, ViewTransform.ScaleMode.FILL, true);
        assertArrayEquals(new float[] {1260, 0, 540, 960, 960, 30}, t.apply(new float[] {0, 0, 240, 320, 100, 10}), EPS);
    }

    @Test
    public void modelInputToFrameToView() {
        // Model output (32, 32) in a 64 px input of a 96 x 72 frame is the frame centre (48, 36), which a
        // 192 x 144 view shows at its centre; input (0, 8) is the frame's top-left corner.
        Letterbox letterbox = Letterbox.of(96, 72, 64);
        Pose pose = new Pose(letterbox.inputToFrame(new float[] {32, 32, 0, 8}), new float[] {0.9f, 0.8f});
        Pose view = ViewTransform.of(96, 72, 192, 144, ViewTransform.ScaleMode.FIT, false).apply(pose);
        assertArrayEquals(new float[] {96, 72, 0, 0}, view.xy(), EPS);
        assertEquals(0.8f, view.confidence(1), 0f);
    }

    @Test
    public void rejectsEmptySizes() {
        assertThrows(IllegalArgumentException.class,
                () -> ViewTransform.of(480, 640, 0, 1920, ViewTransform.ScaleMode.FIT, false));
        assertThrows(IllegalArgumentException.class,
                () -> ViewTransform.of(0, 640, 10, 10, ViewTransform.ScaleMode.FILL, false));
    }

    @Test
    public void theOverlayMirrorsFramesOfAFrontCameraOnly() {
        assertTrue(LensFacing.mirrorsPreview(LensFacing.FRONT));
        assertFalse(LensFacing.mirrorsPreview(LensFacing.BACK));
        assertFalse(LensFacing.mirrorsPreview(LensFacing.EXTERNAL));
        float[] point = {10, 20};
        // A frame taken by the front camera is mirrored even when the user has just switched to the back one:
        // the decision comes with the frame.
        ViewTransform front = ViewTransform.forCameraFrame(100, 100, LensFacing.FRONT, 100, 100);
        ViewTransform back = ViewTransform.forCameraFrame(100, 100, LensFacing.BACK, 100, 100);
        assertArrayEquals(new float[] {90, 20}, front.apply(point), EPS);
        assertArrayEquals(new float[] {10, 20}, back.apply(point), EPS);
        assertEquals("front", LensFacing.name(LensFacing.FRONT));
    }
}
