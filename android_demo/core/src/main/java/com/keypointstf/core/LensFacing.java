package com.keypointstf.core;

/**
 * Which way a camera faces (CameraX's {@code CameraSelector.LENS_FACING_*} values) and what that means for
 * drawing: PreviewView mirrors the front camera's preview, so keypoints of a frame from it are mirrored too.
 *
 * <p>Decide it per frame, from the camera that took it, never from the camera the user has just chosen:
 * after a switch, frames of the old camera may still be in flight, and a camera that fails to open leaves
 * the old one running.
 */
public final class LensFacing {

    public static final int FRONT = 0;
    public static final int BACK = 1;
    public static final int EXTERNAL = 2;

    private LensFacing() {}

    /** Whether the preview of a camera facing {@code lensFacing} is shown mirrored (front cameras only). */
    public static boolean mirrorsPreview(int lensFacing) {
        return lensFacing == FRONT;
    }

    /** "front", "back" or "external" for messages. */
    public static String name(int lensFacing) {
        switch (lensFacing) {
            case FRONT: return "front";
            case BACK: return "back";
            case EXTERNAL: return "external";
            default: return "unknown (" + lensFacing + ")";
        }
    }
}
