package com.keypointstf.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text in the corner of the screen, composed from everything that can go wrong or be measured, so that
 * no message overwrites another: a denied camera permission is all there is to say; a camera error comes
 * first and the model's state follows; a model error (or a fallback from the GPU) is kept beside the
 * figures; and when no keypoint reaches the threshold the text says so, with the highest confidence, so a
 * weak model's empty screen has a reason on it.
 *
 * <p>Example: {@code new StatusText().model("CPU", "people_walk_int8 (teacher, int8, 64 px)").pose(pose, 0.3)
 * .text()}.
 */
public final class StatusText {

    public static final String PERMISSION_DENIED =
            "Camera permission denied: the demo needs the camera (allow it in the system settings, then reopen).";
    /** What the overlay and this text say when the model saw the whole frame (Python: crop_region.LOST_TEXT). */
    public static final String LOST = "no person tracked: whole frame";

    private boolean permissionDenied;
    private String cameraError;
    private String modelError;
    private String accelerator;
    private String modelLabel;
    private String loading;
    private String timing;
    private String poseLine;
    private String trackingLine;

    public StatusText permissionDenied(boolean denied) {
        permissionDenied = denied;
        return this;
    }

    /** The camera could not be opened (null: it could). */
    public StatusText cameraError(String message) {
        cameraError = message;
        return this;
    }

    /** The model could not be loaded, fell back to the CPU, or failed on a frame (null: none). */
    public StatusText modelError(String message) {
        modelError = message;
        return this;
    }

    /** A model is loading: {@code label}, on {@code accelerator}. */
    public StatusText loading(String label, String acceleratorName) {
        loading = "Loading " + label + " on " + acceleratorName + "\u2026";
        return this;
    }

    /** The model in use. */
    public StatusText model(String acceleratorName, String label) {
        accelerator = acceleratorName;
        modelLabel = label;
        return this;
    }

    public StatusText timing(double inferenceMs, double totalMs, double framesPerSecond) {
        timing = String.format(Locale.US, "inference %.1f ms (with pre/post %.1f ms) \u00b7 %.1f FPS", inferenceMs, totalMs,
                framesPerSecond);
        return this;
    }

    /** How many keypoints of the latest pose are drawn at {@code threshold}, or why none is. */
    public StatusText pose(Pose pose, double threshold) {
        int visible = 0;
        float highest = 0;
        for (int k = 0; k < pose.numKeypoints(); k++) {
            visible += pose.confidence(k) >= threshold ? 1 : 0;
            highest = Math.max(highest, pose.confidence(k));
        }
        poseLine = visible > 0
                ? String.format(Locale.US, "%d/%d keypoints \u2265 %.2f", visible, pose.numKeypoints(), threshold)
                : String.format(Locale.US, "no keypoint \u2265 %.2f (highest %.2f): nothing to draw; lower the threshold "
                        + "in the menu or move closer", threshold, highest);
        return this;
    }

    /** Whether the model saw a person crop ({@code tracking}) or the whole frame. */
    public StatusText tracking(boolean tracking) {
        trackingLine = tracking ? "tracking: person crop" : LOST;
        return this;
    }

    /** An error or a denied permission is shown: the app colours the text. */
    public boolean isError() {
        return permissionDenied || cameraError != null || modelError != null;
    }

    public String text() {
        if (permissionDenied) {
            return PERMISSION_DENIED;
        }
        List<String> lines = new ArrayList<>();
        if (cameraError != null) {
            lines.add(cameraError);
        }
        if (modelLabel != null) {
            lines.add(accelerator + " \u00b7 " + modelLabel);
            addIfSet(lines, timing);
            addIfSet(lines, poseLine);
            addIfSet(lines, trackingLine);
        } else if (modelError == null) {
            addIfSet(lines, loading);
        }
        addIfSet(lines, modelError);
        return String.join("\n", lines);
    }

    private static void addIfSet(List<String> lines, String line) {
        if (line != null) lines.add(line);
    }
}
