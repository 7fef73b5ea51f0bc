package com.keypointstf.core;

/**
 * The model input for one frame: an S x S x 3 RGB tensor (row-major, channels last, batch 1) and the
 * letterbox that produced it. Exactly one of {@link #uint8} / {@link #float32} is non-null, per the
 * contract's input dtype.
 */
public final class InputTensor {

    public final Letterbox letterbox;
    /** RGB bytes 0..255 (read with {@code & 0xFF}), for dtype uint8; else null. */
    public final byte[] uint8;
    /** {@code pixel * scale + offset}, for dtype float32; else null. */
    public final float[] float32;

    InputTensor(Letterbox letterbox, byte[] uint8, float[] float32) {
        this.letterbox = letterbox;
        this.uint8 = uint8;
        this.float32 = float32;
    }

    /** Mean of the uint8 values (compare with the golden file's {@code input_tensor_mean}). */
    public double uint8Mean() {
        if (uint8 == null) {
            throw new IllegalStateException("this tensor is float32; uint8Mean needs a uint8 tensor");
        }
        long sum = 0;
        for (byte b : uint8) sum += b & 0xFF;
        return (double) sum / uint8.length;
    }
}
