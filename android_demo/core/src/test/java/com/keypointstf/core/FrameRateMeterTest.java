package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class FrameRateMeterTest {

    @Test
    public void steadyFramesGiveTheirRate() {
        FrameRateMeter meter = new FrameRateMeter(0.1);
        assertEquals(0.0, meter.tick(10.0), 0.0);
        for (int i = 1; i <= 10; i++) {
            assertEquals(25.0, meter.tick(10.0 + i * 0.04), 1e-9);
        }
    }

    @Test
    public void smoothsAChangeOfRate() {
        // Intervals 0.1 then 0.2 with weight 0.5: mean interval 0.15 -> 6.67 FPS.
        FrameRateMeter meter = new FrameRateMeter(0.5);
        meter.tick(0.0);
        assertEquals(10.0, meter.tick(0.1), 1e-9);
        assertEquals(1 / 0.15, meter.tick(0.3), 1e-9);
        assertEquals(1 / 0.15, meter.tick(0.3), 1e-9); // repeated timestamp ignored
        meter.reset();
        assertEquals(0.0, meter.tick(5.0), 0.0);
        assertThrows(IllegalArgumentException.class, () -> new FrameRateMeter(0.0));
    }
}
