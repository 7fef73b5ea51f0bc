package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class StatusTextTest {

    private static Pose pose(float... confidence) {
        return new Pose(new float[2 * confidence.length], confidence);
    }

    private static StatusText running() {
        return new StatusText().model("CPU", "people_walk_int8 (teacher, int8, 64 px)").timing(3.21, 9.87, 14.96)
                .pose(pose(0.5f, 0.2f, 0.35f), 0.3).tracking(true);
    }

    @Test
    public void aRunningModelShowsItsFigures() {
        StatusText status = running();
        assertEquals("CPU \u00b7 people_walk_int8 (teacher, int8, 64 px)\ninference 3.2 ms (with pre/post 9.9 ms) \u00b7 15.0 FPS\n"
                + "2/3 keypoints \u2265 0.30\ntracking: person crop", status.text());
        assertFalse(status.isError());
    }

    @Test
    public void aDeniedPermissionIsAllThereIsToSay() {
        StatusText status = running().cameraError("Cannot open the back camera: busy").permissionDenied(true);
        assertEquals(StatusText.PERMISSION_DENIED, status.text());
        assertTrue(status.isError());
    }

    @Test
    public void aCameraErrorComesFirstAndTheModelStateStays() {
        StatusText status = running().cameraError("Cannot open the front camera: no such camera");
        String[] lines = status.text().split("\n");
        assertEquals("Cannot open the front camera: no such camera", lines[0]);
        assertEquals("CPU \u00b7 people_walk_int8 (teacher, int8, 64 px)", lines[1]);
        assertTrue(status.isError());
    }

    @Test
    public void aModelErrorIsKeptBesideTheFigures() {
        StatusText fallback = running().modelError("GPU unavailable (no OpenCL); running on CPU");
        assertTrue(fallback.text(), fallback.text().endsWith("\nGPU unavailable (no OpenCL); running on CPU"));
        assertTrue(fallback.text().startsWith("CPU \u00b7 "));
        StatusText failed = new StatusText().loading("x", "GPU").modelError("No model in the app: ...");
        assertEquals("a failed load replaces the loading line", "No model in the app: ...", failed.text());
    }

    @Test
    public void whenNothingIsDrawnTheTextSaysWhy() {
        String text = new StatusText().model("GPU", "m").pose(pose(0.12f, 0.18f, 0.05f), 0.3).tracking(false).text();
        assertTrue(text, text.contains("no keypoint \u2265 0.30 (highest 0.18): nothing to draw"));
        assertTrue(text, text.endsWith(StatusText.LOST));
    }

    @Test
    public void loadingIsShownUntilTheModelRuns() {
        assertEquals("Loading people_walk_int8 on GPU\u2026", new StatusText().loading("people_walk_int8", "GPU").text());
    }
}
