package com.keypointstf.core;

/**
 * Keeps CameraX's target rotation equal to the display's, so that each analysis frame's
 * {@code rotationDegrees} turns it upright as the screen shows it.
 *
 * <p>A 90-degree turn recreates the Activity, but a 180-degree turn (landscape to reverse landscape) does
 * not: only a display listener sees it. Without an update the frames arrive upside down. Rotations are
 * {@code android.view.Surface.ROTATION_0 .. ROTATION_270}, i.e. 0 .. 3.
 *
 * <p>Example: {@code int update = rotation.onDisplayRotation(display.getRotation()); if (update >= 0)
 * analysis.setTargetRotation(update);}
 */
public final class DisplayRotation {

    public static final int UNCHANGED = -1;

    private int applied = UNCHANGED;

    /** Degrees clockwise (0, 90, 180, 270) of a Surface.ROTATION_* value. */
    public static int degrees(int surfaceRotation) {
        check(surfaceRotation);
        return 90 * surfaceRotation;
    }

    /** The Surface.ROTATION_* value to set as target rotation now, or {@link #UNCHANGED} when it already is. */
    public int onDisplayRotation(int surfaceRotation) {
        check(surfaceRotation);
        if (surfaceRotation == applied) {
            return UNCHANGED;
        }
        applied = surfaceRotation;
        return surfaceRotation;
    }

    /** Forget the applied rotation (new use cases were bound with the current one: call with it next). */
    public void reset() {
        applied = UNCHANGED;
    }

    private static void check(int surfaceRotation) {
        if (surfaceRotation < 0 || surfaceRotation > 3) {
            throw new IllegalArgumentException("expected a Surface.ROTATION_* value (0 to 3), got " + surfaceRotation);
        }
    }
}
