package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Random;
import org.junit.Test;

public class OneEuroFilterTest {

    @Test
    public void alphaMatchesTheHandComputedValue() {
        // f_c = 1 Hz, dt = 1/30 s: tau = 1 / (2 pi) = 0.159155; alpha = 1 / (1 + 30 tau) = 0.1731707.
        assertEquals(0.17317071954915414, OneEuroFilter.alpha(1.0, 1.0 / 30), 1e-12);
    }

    @Test
    public void firstSamplePassesThroughAndAConstantStaysConstant() {
        OneEuroFilter filter = new OneEuroFilter(1.0, 0.5, 1.0);
        assertEquals(12.5, filter.filter(12.5, 3.0), 0.0);
        for (int i = 1; i <= 30; i++) {
            assertEquals(12.5, filter.filter(12.5, 3.0 + i / 30.0), 1e-12);
        }
    }

    @Test
    public void withoutBetaAStepIsExponentialSmoothing() {
        // beta = 0: cutoff = min_cutoff, y_n = 1 - (1 - alpha)^n for a unit step.
        OneEuroFilter filter = new OneEuroFilter(1.0, 0.0, 1.0);
        filter.filter(0.0, 0.0);
        assertEquals(0.17317071954915414, filter.filter(1.0, 1.0 / 30), 1e-12);
        assertEquals(0.31635334098913637, filter.filter(1.0, 2.0 / 30), 1e-12);
    }

    @Test
    public void betaRaisesTheCutoffWithSpeed() {
        // dt = 0.1, dx = 10: alpha_d = 0.3858695; dx_hat = 3.858695; cutoff = 1 + 0.5 * 3.858695 = 2.929348;
        // alpha = 1 / (1 + 1 / (2 pi 2.929348 * 0.1)) = 0.6479572.
        OneEuroFilter filter = new OneEuroFilter(1.0, 0.5, 1.0);
        filter.filter(0.0, 0.0);
        assertEquals(0.6479571695923358, filter.filter(1.0, 0.1), 1e-12);
    }

    @Test
    public void higherBetaLagsLessOnARamp() {
        double lagSlow = rampLag(0.0);
        double lagFast = rampLag(0.05);
        assertTrue("lag " + lagSlow + " -> " + lagFast, lagFast < 0.5 * lagSlow);
    }

    private static double rampLag(double beta) {
        OneEuroFilter filter = new OneEuroFilter(1.0, beta, 1.0);
        double value = 0;
        double output = 0;
        for (int i = 0; i <= 60; i++) {
            value = 300.0 * i / 30.0; // 300 px/s
            output = filter.filter(value, i / 30.0);
        }
        return value - output;
    }

    @Test
    public void reducesJitterOfAStillPoint() {
        Random random = new Random(3);
        OneEuroFilter filter = new OneEuroFilter(1.0, 0.007, 1.0);
        double rawVariance = 0;
        double filteredVariance = 0;
        int n = 300;
        for (int i = 0; i < n; i++) {
            double noisy = 100 + random.nextGaussian() * 2.0;
            double filtered = filter.filter(noisy, i / 30.0);
            if (i >= 30) {
                rawVariance += (noisy - 100) * (noisy - 100);
                filteredVariance += (filtered - 100) * (filtered - 100);
            }
        }
        assertTrue(rawVariance + " vs " + filteredVariance, filteredVariance < rawVariance / 4);
    }

    @Test
    public void ignoresSamplesThatDoNotMoveTimeForwardAndResets() {
        OneEuroFilter filter = new OneEuroFilter(1.0, 0.0, 1.0);
        filter.filter(0.0, 1.0);
        double y = filter.filter(10.0, 1.1);
        assertEquals(y, filter.filter(50.0, 1.1), 0.0);
        assertEquals(y, filter.filter(50.0, 0.5), 0.0);
        filter.reset();
        assertEquals(50.0, filter.filter(50.0, 0.5), 0.0);
    }

    @Test
    public void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new OneEuroFilter(0.0, 0.0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new OneEuroFilter(1.0, -1.0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new OneEuroFilter(1.0, 0.0, Double.NaN));
    }

    @Test
    public void poseSmootherFiltersVisibleKeypointsAndRestartsLostOnes() {
        PoseSmoother smoother = new PoseSmoother(2, 1.0, 0.0, 1.0, 0.5f);
        smoother.smooth(new Pose(new float[] {0, 0, 0, 0}, new float[] {0.9f, 0.9f}), 0.0);
        Pose second = smoother.smooth(new Pose(new float[] {1, 1, 1, 1}, new float[] {0.9f, 0.1f}), 1.0 / 30);
        float alpha = 0.17317072f;
        assertArrayEquals(new float[] {alpha, alpha, 1, 1}, second.xy(), 1e-6f);
        // Keypoint 1 was lost: it restarts at its new position instead of gliding from (0, 0).
        Pose third = smoother.smooth(new Pose(new float[] {1, 1, 5, 5}, new float[] {0.9f, 0.9f}), 2.0 / 30);
        assertEquals(5f, third.x(1), 0f);
        assertEquals(0.31635334f, third.x(0), 1e-6f);
        assertEquals(0.9f, third.confidence(1), 0f);
        assertThrows(IllegalArgumentException.class,
                () -> smoother.smooth(new Pose(new float[] {1, 1}, new float[] {1}), 1.0));
    }
}
