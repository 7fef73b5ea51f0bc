package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class CropTrackerTest {

    private static final double EPS = 1e-9;

    /** 17 keypoints at (100 + 10 i, 50 + 25 i): medians (180, 250), median deviations 40 and 100, e = 200. */
    private static Pose line(float confidence) {
        float[] xy = new float[34];
        float[] c = new float[17];
        for (int i = 0; i < 17; i++) {
            xy[2 * i] = 100 + 10 * i;
            xy[2 * i + 1] = 50 + 25 * i;
            c[i] = confidence;
        }
        return new Pose(xy, c);
    }

    @Test
    public void theRegionIsAnExpandedSquareAroundTheVisibleKeypoints() {
        CropRegion region = CropTracker.target(line(1), 640, 480, CropSettings.DEFAULT);
        assertEquals(180, region.centerX, EPS);
        assertEquals(250, region.centerY, EPS);
        assertEquals(2.7 * 200, region.side, EPS);
        assertArrayEquals(new int[] {-90, -20, 540}, new int[] {region.x0, region.y0, region.squareSide});
        CropSettings moved = new CropSettings(0.3, 0.25, 2.0, 0.1, -0.2, 0.1, 0.5);
        CropRegion offset = CropTracker.target(line(1), 640, 480, moved);
        assertEquals(200, offset.centerX, EPS);
        assertEquals(210, offset.centerY, EPS);
        assertEquals(400, offset.side, EPS);
    }

    @Test
    public void tooFewVisibleKeypointsLoseTheRegion() {
        assertEquals(5, CropSettings.DEFAULT.minVisible(17));
        assertEquals(2, CropSettings.DEFAULT.minVisible(4));
        Pose pose = line(0.1f);
        float[] c = pose.confidences();
        c[0] = c[1] = c[2] = c[3] = 0.9f;
        assertNull(CropTracker.target(new Pose(pose.xy(), c), 640, 480, CropSettings.DEFAULT));
        c[4] = 0.3f; // at the threshold counts
        assertNotNull(CropTracker.target(new Pose(pose.xy(), c), 640, 480, CropSettings.DEFAULT));
    }

    @Test
    public void sideAndCentreAreClampedToTheFrame() {
        float[] tiny = new float[34];
        float[] huge = new float[34];
        float[] c = new float[17];
        for (int i = 0; i < 17; i++) {
            tiny[2 * i] = 300 + 0.1f * i;
            tiny[2 * i + 1] = 200 + 0.1f * i;
            huge[2 * i] = -2000 + 300 * i;
            huge[2 * i + 1] = 700 + 300 * i;
            c[i] = 1;
        }
        assertEquals(64, CropTracker.target(new Pose(tiny, c), 640, 480, CropSettings.DEFAULT).side, EPS);
        CropRegion big = CropTracker.target(new Pose(huge, c), 640, 480, CropSettings.DEFAULT);
        assertEquals(640, big.side, EPS);
        assertEquals(400, big.centerX, EPS);   // median x 400 is inside
        assertEquals(480, big.centerY, EPS);   // median y 3100 is clamped to the bottom edge
    }

    @Test
    public void aFewFarOffKeypointsBarelyMoveTheRegion() {
        CropRegion clean = CropTracker.target(line(1), 640, 480, CropSettings.DEFAULT);
        float[] xy = line(1).xy();
        xy[0] = 5000;
        xy[1] = -4000;
        xy[20] = -3000;
        xy[21] = 9000;
        CropRegion noisy = CropTracker.target(new Pose(xy, line(1).confidences()), 640, 480, CropSettings.DEFAULT);
        assertEquals(clean.centerX, noisy.centerX, 15);
        assertEquals(clean.centerY, noisy.centerY, 30);
        assertEquals(clean.side, noisy.side, 0.2 * clean.side);
    }

    @Test
    public void theTrackerSmoothsAndStartsOverWhenLostOrTheFrameChanges() {
        CropTracker tracker = new CropTracker(CropSettings.DEFAULT);
        assertNull(tracker.region(640, 480));
        CropRegion first = tracker.update(line(1), 640, 480);
        assertSame(first, tracker.region(640, 480));
        assertNull("another frame size starts over", tracker.region(480, 640));
        float[] moved = line(1).xy();
        for (int i = 0; i < moved.length; i += 2) moved[i] += 100;
        CropRegion second = tracker.update(new Pose(moved, line(1).confidences()), 640, 480);
        assertEquals(0.5 * 180 + 0.5 * 280, second.centerX, EPS);
        assertNull(tracker.update(line(0), 640, 480));
        assertEquals("no memory of the region before it was lost", 280,
                tracker.update(new Pose(moved, line(1).confidences()), 640, 480).centerX, EPS);
        tracker.start(CropRegion.fromSquare(10, 20, 100), 768, 576);
        CropRegion started = tracker.region(768, 576);
        assertArrayEquals(new int[] {10, 20, 100}, new int[] {started.x0, started.y0, started.squareSide});
        tracker.reset();
        assertNull(tracker.region(768, 576));
    }

    @Test
    public void aFrameGoesThroughItsCropAndBack() {
        int[] pixels = new int[40 * 30];
        for (int i = 0; i < pixels.length; i++) pixels[i] = 0xFF000000 | i;
        Frame frame = new Frame(pixels, 40, 30);
        CropRegion region = CropRegion.fromSquare(30, -5, 20); // sticks out right and top
        Frame crop = region.crop(frame);
        assertEquals(20, crop.width);
        assertEquals(20, crop.height);
        assertEquals(frame.argb(30, 0), crop.argb(0, 5));
        assertEquals(frame.argb(39, 14), crop.argb(9, 19));
        assertEquals("black outside the frame", 0, crop.argb(10, 5));
        assertEquals("black outside the frame", 0, crop.argb(0, 4));
        Pose inCrop = new Pose(new float[] {0.5f, 5.5f}, new float[] {1});
        Pose inFrame = region.toFrame(inCrop);
        assertEquals(30.5f, inFrame.x(0), 0);
        assertEquals(0.5f, inFrame.y(0), 0);
    }

    @Test
    public void settingsComeFromTheContractsCropSection() {
        String json = TestFiles.contractJson().replace("\"letterbox\": \"s = S / max(W, H); ...\"",
                "\"letterbox\": \"s\", \"crop\": {\"threshold\": 0.17, \"expand\": 2.2, \"offset\": [0.03, 0.12], \"frames\": 200}");
        CropSettings settings = CropSettings.forContract(ModelContract.fromJson(json, "contract.json"));
        assertEquals(0.17, settings.threshold, 0);
        assertEquals(2.2, settings.expand, 0);
        assertEquals(0.03, settings.offsetX, 0);
        assertEquals(0.12, settings.offsetY, 0);
        assertEquals(CropSettings.DEFAULT.smoothing, settings.smoothing, 0);
        assertSame(CropSettings.DEFAULT, CropSettings.forContract(ModelContract.fromJson(TestFiles.contractJson(), "c")));
        assertEquals(0.1, settings.withThreshold(0.1).threshold, 0);
        assertThrows(IllegalArgumentException.class, () -> new CropSettings(0.3, 0.25, 0, 0, 0, 0.1, 0.5));
    }
}
