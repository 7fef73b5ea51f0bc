package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The Java crop rule against Python's ({@code keypoints_tf.crop_region}): {@code golden_crop.json}, written
 * by {@code export/write_golden.py}, holds pose sequences and the region Python's {@code CropTracker} gave
 * each frame. {@link CropTracker} must give the same regions within {@link #TOLERANCE_PX} (both evaluate the
 * same formulas on the same float32 poses, so they agree to round-off) and lose track on the same frames.
 */
public class GoldenCropTest {

    static final double TOLERANCE_PX = 0.5;

    @Test
    @SuppressWarnings("unchecked")
    public void javaCropRegionsMatchPython() throws IOException {
        Map<String, Object> golden = Json.parseObject(GoldenTest.read(GoldenTest.goldenDir(), "golden_crop.json"));
        assertSettingsEqual("default_settings", CropSettings.DEFAULT, (Map<String, Object>) golden.get("default_settings"));
        assertEquals("the overlay's words when tracking is lost", golden.get("lost_text"), StatusText.LOST);
        double worst = 0;
        int frames = 0;
        int lost = 0;
        for (Object item : (List<Object>) golden.get("sequences")) {
            Map<String, Object> sequence = (Map<String, Object>) item;
            int width = ((Number) sequence.get("width")).intValue();
            int height = ((Number) sequence.get("height")).intValue();
            CropTracker tracker = new CropTracker(settings((Map<String, Object>) sequence.get("settings")));
            for (Object f : (List<Object>) sequence.get("frames")) {
                Map<String, Object> frame = (Map<String, Object>) f;
                String where = width + "x" + height + " frame " + frames;
                worst = Math.max(worst, compare(where, tracker.region(width, height), (List<Object>) frame.get("region"),
                        (List<Object>) frame.get("square")));
                lost += frame.get("region") == null ? 1 : 0;
                int k = ((List<?>) frame.get("confidence")).size();
                Pose pose = new Pose(GoldenTest.flatten((List<?>) frame.get("keypoints"), 2 * k, "keypoints"),
                        GoldenTest.flatten((List<?>) frame.get("confidence"), k, "confidence"));
                tracker.update(pose, width, height);
                frames++;
            }
            worst = Math.max(worst, compare(width + "x" + height + " after the last frame", tracker.region(width, height),
                    (List<Object>) sequence.get("next_region"), null));
        }
        assertTrue("the golden file should exercise lost tracking", lost > 0 && lost < frames);
        System.out.printf("GoldenCropTest: %d frames, %d without a region, worst |Java - Python| %.2e px%n", frames, lost,
                worst);
        assertTrue("worst region difference " + worst + " px", worst <= TOLERANCE_PX);
    }

    /** The largest difference in centre and side (px); the integer squares must be equal. */
    private static double compare(String where, CropRegion region, List<Object> expected, List<Object> square) {
        if (expected == null) {
            assertNull(where + ": Python had no region (whole frame), Java has " + region, region);
            return 0;
        }
        assertNotNull(where + ": Python has region " + expected + ", Java none", region);
        double worst = Math.max(Math.abs(region.centerX - number(expected, 0)),
                Math.max(Math.abs(region.centerY - number(expected, 1)), Math.abs(region.side - number(expected, 2))));
        if (square != null) {
            assertEquals(where + " square x0", (int) number(square, 0), region.x0);
            assertEquals(where + " square y0", (int) number(square, 1), region.y0);
            assertEquals(where + " square side", (int) number(square, 2), region.squareSide);
        }
        return worst;
    }

    private static double number(List<Object> list, int i) {
        return ((Number) list.get(i)).doubleValue();
    }

    static CropSettings settings(Map<String, Object> map) {
        return new CropSettings(value(map, "threshold"), value(map, "min_visible_fraction"), value(map, "expand"),
                value(map, "offset_x"), value(map, "offset_y"), value(map, "min_side_fraction"), value(map, "smoothing"));
    }

    private static void assertSettingsEqual(String what, CropSettings java, Map<String, Object> python) {
        assertEquals(what + " (Java CropSettings.DEFAULT vs Python CropSettings())", settings(python).toString(),
                java.toString());
    }

    private static double value(Map<String, Object> map, String key) {
        Object value = map.get(key);
        if (!(value instanceof Number)) {
            throw new AssertionError("golden_crop.json settings lack a number '" + key + "': " + map);
        }
        return ((Number) value).doubleValue();
    }
}
