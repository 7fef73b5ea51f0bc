package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

public class SkeletonSegmentsTest {

    private static final Skeleton TINY4 = ModelContract.fromJson(TestFiles.contractJson(), "contract.json").skeleton;

    @Test
    public void everyConfidentEdgeIsASegmentWithItsSide() {
        Pose pose = new Pose(new float[] {10, 0, 10, 20, 0, 40, 20, 40}, new float[] {0.9f, 0.8f, 0.7f, 0.6f});
        List<Segment> segments = SkeletonSegments.visible(TINY4, pose, 0.5f);
        assertEquals(3, segments.size());
        Segment left = segments.get(1);
        assertEquals(1, left.edgeIndex);
        assertEquals(Side.LEFT, left.side);
        assertEquals(10f, left.x0, 0f);
        assertEquals(20f, left.y0, 0f);
        assertEquals(0f, left.x1, 0f);
        assertEquals(40f, left.y1, 0f);
        assertEquals(Side.CENTER, segments.get(0).side);
        assertEquals(Side.RIGHT, segments.get(2).side);
        assertEquals(Side.RIGHT.argb, segments.get(2).argb());
    }

    @Test
    public void edgesWithAKeypointBelowTheThresholdAreDropped() {
        Pose pose = new Pose(new float[8], new float[] {0.9f, 0.8f, 0.49f, 0.5f});
        List<Segment> segments = SkeletonSegments.visible(TINY4, pose, 0.5f);
        assertEquals(2, segments.size());
        assertEquals(0, segments.get(0).edgeIndex);
        assertEquals(2, segments.get(1).edgeIndex);
        assertTrue(SkeletonSegments.visible(TINY4, pose, 0.95f).isEmpty());
        assertTrue(pose.isVisible(3, 0.5f));
        assertTrue(!pose.isVisible(2, 0.5f));
    }

    @Test
    public void leftAndRightColoursAreFarApart() {
        assertNotEquals(Side.LEFT.argb, Side.RIGHT.argb);
        assertTrue(distance(Side.LEFT.argb, Side.RIGHT.argb) > 200);
        assertTrue(distance(Side.LEFT.argb, Side.CENTER.argb) > 100);
        assertTrue(distance(Side.RIGHT.argb, Side.CENTER.argb) > 100);
        for (Side side : Side.values()) {
            assertEquals("opaque", 0xFF, side.argb >>> 24);
            assertEquals(side, Side.fromJson(side.jsonName));
        }
    }

    @Test
    public void sideOfANameFollowsPythonsTokens() {
        assertEquals(Side.LEFT, Skeleton.sideOfName("l_knee"));
        assertEquals(Side.RIGHT, Skeleton.sideOfName("R-Elbow"));
        assertEquals(Side.LEFT, Skeleton.sideOfName("left.eye"));
        assertEquals(Side.RIGHT, Skeleton.sideOfName("mouth right"));
        assertEquals(null, Skeleton.sideOfName("pelvis"));
        assertEquals(null, Skeleton.sideOfName("leftarm")); // not a token on its own
        assertEquals(null, Skeleton.sideOfName("jaw_00"));
    }

    private static double distance(int a, int b) {
        double dr = ((a >> 16) & 0xFF) - ((b >> 16) & 0xFF);
        double dg = ((a >> 8) & 0xFF) - ((b >> 8) & 0xFF);
        double db = (a & 0xFF) - (b & 0xFF);
        return Math.sqrt(dr * dr + dg * dg + db * db);
    }
}
