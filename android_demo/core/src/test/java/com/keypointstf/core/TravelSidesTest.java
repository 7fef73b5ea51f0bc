package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import org.junit.Test;

/** The same rule as Python's {@code keypoints_tf.sides} (tests/test_sides.py has the same cases). */
public class TravelSidesTest {

    // neck, l_shoulder, r_shoulder, l_hip, r_hip, l_wrist, r_wrist
    private static final Skeleton BODY = new Skeleton("body",
            Arrays.asList("neck", "l_shoulder", "r_shoulder", "l_hip", "r_hip", "l_wrist", "r_wrist"),
            new int[][] {{0, 1}, {0, 2}, {1, 3}, {2, 4}, {1, 5}, {2, 6}}, new int[][] {{1, 2}, {3, 4}, {5, 6}}, null);

    /** Someone facing the camera, centred at (cx, cy), height h: their left limbs on the image's right. */
    private static Pose facingCamera(float cx, float cy, float h) {
        float[] xy = {cx, cy - 0.4f * h, cx + 0.2f * h, cy - 0.4f * h, cx - 0.2f * h, cy - 0.4f * h,
            cx + 0.1f * h, cy, cx - 0.1f * h, cy, cx + 0.25f * h, cy + 0.5f * h, cx - 0.25f * h, cy + 0.5f * h};
        return new Pose(xy, new float[] {0.9f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f});
    }

    private static Pose swapped(Pose pose) {
        return new TravelSides(BODY).orientAtRate(pose, pose.x(1) > pose.x(2) ? -1.0 : 1.0);
    }

    @Test
    public void approachRateIsTheBottomEdgesSpeedInBoxSides() {
        assertEquals(0.2, TravelSides.approachRate(0.0, 100, 100, 1.0, 120, 100), 1e-12);
        assertEquals(20.0 / 120.0 / 0.5, TravelSides.approachRate(0.0, 100, 100, 0.5, 120, 144), 1e-12);
        assertEquals(0.0, TravelSides.approachRate(1.0, 100, 100, 1.0, 120, 100), 0.0);  // no time between
    }

    @Test
    public void orientSwapsOnlyWhereTheTorsoContradictsTheWalk() {
        TravelSides sides = new TravelSides(BODY);
        Pose facing = facingCamera(100, 100, 100);
        Pose away = swapped(facing);
        assertTrue(away.x(1) < away.x(2));
        assertArrayEquals(facing.xy(), sides.orientAtRate(facing, 0.5).xy(), 0f);
        assertArrayEquals(facing.xy(), sides.orientAtRate(away, 0.5).xy(), 0f);
        assertArrayEquals(facing.confidences(), sides.orientAtRate(away, 0.5).confidences(), 0f);  // they move together
        assertArrayEquals(away.xy(), sides.orientAtRate(facing, -0.5).xy(), 0f);
        assertArrayEquals(away.xy(), sides.orientAtRate(away, 0.01).xy(), 0f);  // too slow to decide: as detected
    }

    @Test
    public void walkingDownTheImageMeansFacingTheCamera() {
        TravelSides sides = new TravelSides(BODY);
        for (int i = 0; i < 15; i++) {  // 10 fps, 40 px a second down the image, growing
            Pose away = swapped(facingCamera(200, 100 + 4 * i, 100 + 2 * i));
            Pose out = sides.orient(away, i / 10.0);
            if (i == 0) {
                assertArrayEquals(away.xy(), out.xy(), 0f);  // no walk yet
            } else {
                assertTrue("frame " + i, out.x(1) > out.x(2));
            }
        }
        sides.reset();
        Pose facing = facingCamera(200, 300, 100);
        assertArrayEquals(facing.xy(), sides.orient(facing, 5.0).xy(), 0f);
        for (int i = 1; i <= 12; i++) {  // now up the image: walking away, seen from behind
            Pose out = sides.orient(facingCamera(200, 300 - 4 * i, 100), 5.0 + i / 10.0);
            assertTrue("frame " + i, out.x(1) < out.x(2));
        }
    }

    @Test
    public void aSkeletonWithoutATorsoIsRefused() {
        Skeleton face = new Skeleton("face", Arrays.asList("l_eye", "r_eye", "nose"), new int[][] {{0, 2}, {1, 2}},
                new int[][] {{0, 1}}, null);
        assertFalse(TravelSides.supports(face));
        assertTrue(TravelSides.supports(BODY));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> new TravelSides(face));
        assertTrue(error.getMessage(), error.getMessage().contains("shoulder or hip"));
    }

    @Test
    public void partNamesMatchPython() {
        assertEquals("knee", Skeleton.partName("l_knee"));
        assertEquals("Arm", Skeleton.partName("LeftArm"));
        assertEquals("neck", Skeleton.partName("neck"));
        assertEquals("hip", Skeleton.partName("hip_R"));
    }
}
