package com.keypointstf.core;

/**
 * The One-Euro filter (Casiez, Roussel and Vogel, CHI 2012) for one noisy scalar signal.
 *
 * <p>A low-pass filter whose cutoff rises with the signal's speed: cutoff = minCutoff + beta * |dx/dt|,
 * where dx/dt is itself low-passed at {@code derivativeCutoff}. Slow motion is smoothed hard (less
 * jitter), fast motion lightly (less lag). With a cutoff f_c and a sample interval dt the smoothing factor
 * is alpha = 1 / (1 + tau / dt), tau = 1 / (2 pi f_c). Timestamps are in seconds; cutoffs in Hz.
 *
 * <p>The first sample passes through unchanged. A sample whose timestamp is not after the previous one
 * is ignored (the previous estimate is returned). Tuning: lower {@code minCutoff} until a still subject
 * stops jittering, then raise {@code beta} until fast motion stops lagging.
 */
public final class OneEuroFilter {

    public final double minCutoff;
    public final double beta;
    public final double derivativeCutoff;

    private boolean initialized;
    private double lastTime;
    private double lastValue;
    private double lastDerivative;

    /**
     * @param minCutoff Hz, &gt; 0 (e.g. 1.0)
     * @param beta speed coefficient, &gt;= 0 (e.g. 0.01 for pixel coordinates)
     * @param derivativeCutoff Hz, &gt; 0 (1.0 in the paper)
     */
    public OneEuroFilter(double minCutoff, double beta, double derivativeCutoff) {
        if (!(minCutoff > 0) || !(beta >= 0) || !(derivativeCutoff > 0)) {
            throw new IllegalArgumentException("One-Euro filter needs min_cutoff > 0, beta >= 0 and d_cutoff > 0, got "
                    + minCutoff + ", " + beta + ", " + derivativeCutoff);
        }
        this.minCutoff = minCutoff;
        this.beta = beta;
        this.derivativeCutoff = derivativeCutoff;
    }

    /** The filtered value of {@code value} observed at {@code timestampSeconds}. */
    public double filter(double value, double timestampSeconds) {
        if (!initialized) {
            initialized = true;
            lastTime = timestampSeconds;
            lastValue = value;
            lastDerivative = 0.0;
            return value;
        }
        double dt = timestampSeconds - lastTime;
        if (!(dt > 0)) {
            return lastValue;
        }
        double derivative = (value - lastValue) / dt;
        double smoothedDerivative = lerp(lastDerivative, derivative, alpha(derivativeCutoff, dt));
        double cutoff = minCutoff + beta * Math.abs(smoothedDerivative);
        double smoothed = lerp(lastValue, value, alpha(cutoff, dt));
        lastTime = timestampSeconds;
        lastValue = smoothed;
        lastDerivative = smoothedDerivative;
        return smoothed;
    }

    /** Forgets the history: the next sample passes through. */
    public void reset() {
        initialized = false;
    }

    /** The smoothing factor for a cutoff (Hz) and a sample interval (s). */
    public static double alpha(double cutoff, double dt) {
        double tau = 1.0 / (2.0 * Math.PI * cutoff);
        return 1.0 / (1.0 + tau / dt);
    }

    private static double lerp(double previous, double current, double alpha) {
        return previous + alpha * (current - previous);
    }
}
