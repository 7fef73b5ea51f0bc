package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class DisplayRotationTest {

    @Test
    public void aHalfTurnUpdatesTheTargetRotation() {
        DisplayRotation rotation = new DisplayRotation();
        assertEquals("the first report is applied", 1, rotation.onDisplayRotation(1));      // landscape
        assertEquals(DisplayRotation.UNCHANGED, rotation.onDisplayRotation(1));
        assertEquals("landscape -> reverse landscape: no Activity restart, still an update", 3,
                rotation.onDisplayRotation(3));
        assertEquals(DisplayRotation.UNCHANGED, rotation.onDisplayRotation(3));
        rotation.reset();
        assertEquals(3, rotation.onDisplayRotation(3));
    }

    @Test
    public void theFrameRotationFollowsTheTarget() {
        // CameraX's rotationDegrees for a back camera whose sensor is mounted at 90 degrees:
        // (sensor - target) mod 360. After the half turn, the stale target would give frames upside down.
        int sensor = 90;
        int stale = (sensor - DisplayRotation.degrees(1) + 360) % 360;
        int updated = (sensor - DisplayRotation.degrees(3) + 360) % 360;
        assertEquals(0, stale);
        assertEquals(180, updated);
    }

    @Test
    public void degreesAndChecks() {
        assertEquals(0, DisplayRotation.degrees(0));
        assertEquals(270, DisplayRotation.degrees(3));
        assertThrows(IllegalArgumentException.class, () -> DisplayRotation.degrees(4));
        assertThrows(IllegalArgumentException.class, () -> new DisplayRotation().onDisplayRotation(-1));
    }
}
