package com.keypointstf.core;

/**
 * Frame (ARGB ints) -> model input tensor, per the contract: letterbox to S x S, RGB, uint8 or
 * {@code pixel * scale + offset} in float32.
 *
 * <p>Resampling is an area (box) filter: output pixel i covers the source interval
 * [i W / w', (i + 1) W / w') and averages the source pixels over it, weighted by overlap. For shrinking this
 * matches OpenCV's {@code INTER_AREA}, which Python's {@code letterbox()} uses; for enlarging it is a
 * blend of at most two source pixels per axis. Pixels outside the pasted image are zero (black).
 *
 * <p>Example: {@code InputTensor tensor = new Preprocessor(contract).process(frame);}
 */
public final class Preprocessor {

    private final ModelContract contract;

    public Preprocessor(ModelContract contract) {
        this.contract = contract;
    }

    public InputTensor process(Frame frame) {
        int size = contract.inputSize;
        Letterbox letterbox = Letterbox.of(frame.width, frame.height, size);
        byte[] rgb = letterboxRgb(frame, letterbox);
        if (contract.inputDtype == ModelContract.InputDtype.UINT8) {
            return new InputTensor(letterbox, rgb, null);
        }
        float[] values = new float[rgb.length];
        boolean normalize = !contract.normalizationAppliedInModel;
        float scale = (float) contract.normalizationScale;
        float offset = (float) contract.normalizationOffset;
        for (int i = 0; i < rgb.length; i++) {
            int pixel = rgb[i] & 0xFF;
            values[i] = normalize ? pixel * scale + offset : pixel;
        }
        return new InputTensor(letterbox, null, values);
    }

    /** S x S x 3 RGB bytes: the frame resized to (w', h') and pasted at (left, top) on zeros. */
    static byte[] letterboxRgb(Frame frame, Letterbox letterbox) {
        int size = letterbox.size;
        int newW = letterbox.resizedWidth;
        int newH = letterbox.resizedHeight;
        float[] resized = resizeArea(frame, newW, newH); // newH x newW x 3
        byte[] out = new byte[size * size * 3];
        for (int y = 0; y < newH; y++) {
            int dstRow = ((y + letterbox.top) * size + letterbox.left) * 3;
            int srcRow = y * newW * 3;
            for (int i = 0; i < newW * 3; i++) {
                int value = Math.round(resized[srcRow + i]);
                out[dstRow + i] = (byte) Math.max(0, Math.min(255, value));
            }
        }
        return out;
    }

    /** Area-filter resize to {@code newW x newH}; returns RGB floats, row-major, channels last. */
    static float[] resizeArea(Frame frame, int newW, int newH) {
        int w = frame.width;
        int h = frame.height;
        Taps xTaps = Taps.of(w, newW);
        Taps yTaps = Taps.of(h, newH);
        // Horizontal pass: h rows x newW columns x 3.
        float[] rows = new float[h * newW * 3];
        for (int y = 0; y < h; y++) {
            int srcRow = y * w;
            int dstRow = y * newW * 3;
            for (int x = 0; x < newW; x++) {
                float r = 0;
                float g = 0;
                float b = 0;
                for (int t = xTaps.start[x]; t < xTaps.start[x + 1]; t++) {
                    int argb = frame.pixels[srcRow + xTaps.index[t]];
                    float weight = xTaps.weight[t];
                    r += weight * ((argb >> 16) & 0xFF);
                    g += weight * ((argb >> 8) & 0xFF);
                    b += weight * (argb & 0xFF);
                }
                rows[dstRow + 3 * x] = r;
                rows[dstRow + 3 * x + 1] = g;
                rows[dstRow + 3 * x + 2] = b;
            }
        }
        // Vertical pass: newH rows.
        float[] out = new float[newH * newW * 3];
        for (int y = 0; y < newH; y++) {
            int dstRow = y * newW * 3;
            for (int t = yTaps.start[y]; t < yTaps.start[y + 1]; t++) {
                int srcRow = yTaps.index[t] * newW * 3;
                float weight = yTaps.weight[t];
                for (int i = 0; i < newW * 3; i++) {
                    out[dstRow + i] += weight * rows[srcRow + i];
                }
            }
        }
        return out;
    }

    /** For each output index, the source indices it covers and their normalised overlap weights. */
    private static final class Taps {
        final int[] start; // output i uses taps start[i] .. start[i + 1] - 1
        final int[] index;
        final float[] weight;

        private Taps(int[] start, int[] index, float[] weight) {
            this.start = start;
            this.index = index;
            this.weight = weight;
        }

        static Taps of(int sourceLength, int outputLength) {
            double step = (double) sourceLength / outputLength; // source pixels per output pixel
            int[] start = new int[outputLength + 1];
            int capacity = outputLength * ((int) Math.ceil(step) + 2);
            int[] index = new int[capacity];
            float[] weight = new float[capacity];
            int n = 0;
            for (int i = 0; i < outputLength; i++) {
                start[i] = n;
                double from = i * step;
                double to = Math.min(sourceLength, (i + 1) * step);
                for (int s = (int) Math.floor(from); s < to && s < sourceLength; s++) {
                    double overlap = Math.min(to, s + 1) - Math.max(from, s);
                    if (overlap > 1e-9) {
                        index[n] = s;
                        weight[n] = (float) (overlap / (to - from));
                        n++;
                    }
                }
            }
            start[outputLength] = n;
            return new Taps(start, index, weight);
        }
    }
}
