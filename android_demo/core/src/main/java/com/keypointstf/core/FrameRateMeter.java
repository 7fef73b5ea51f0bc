package com.keypointstf.core;

/**
 * Frames per second from frame timestamps, smoothed so the number on screen is readable.
 *
 * <p>Each interval updates an exponential moving average of the frame interval with weight
 * {@code smoothing}; the rate is its inverse. Timestamps are in seconds and must increase; a sample that
 * does not move time forward is ignored.
 */
public final class FrameRateMeter {

    private final double smoothing;
    private boolean started;
    private double lastTime;
    private double meanInterval;

    /** @param smoothing weight of the newest interval, in (0, 1] (1 = no smoothing) */
    public FrameRateMeter(double smoothing) {
        if (!(smoothing > 0 && smoothing <= 1)) {
            throw new IllegalArgumentException("smoothing must be in (0, 1], got " + smoothing);
        }
        this.smoothing = smoothing;
    }

    /** Records a frame; returns the smoothed frames per second (0 until two frames were seen). */
    public double tick(double timestampSeconds) {
        if (!started) {
            started = true;
            lastTime = timestampSeconds;
            return 0.0;
        }
        double interval = timestampSeconds - lastTime;
        if (interval > 0) {
            meanInterval = meanInterval == 0 ? interval : meanInterval + smoothing * (interval - meanInterval);
            lastTime = timestampSeconds;
        }
        return framesPerSecond();
    }

    public double framesPerSecond() {
        return meanInterval > 0 ? 1.0 / meanInterval : 0.0;
    }

    public void reset() {
        started = false;
        meanInterval = 0;
    }
}
