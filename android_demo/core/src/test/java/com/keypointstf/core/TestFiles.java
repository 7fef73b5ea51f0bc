package com.keypointstf.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Shared fixtures: a small valid contract and hand-built ZIP archives appended to fake model bytes. */
final class TestFiles {

    private TestFiles() {}

    /**
     * A valid contract for a 4-keypoint skeleton (head, neck, l_hand, r_hand), 32 px uint8 input. Tests
     * derive malformed variants with {@code String.replace}.
     */
    static String contractJson() {
        return """
            {
             "format": "keypoints_tf.detector", "format_version": 1,
             "skeleton": {"name": "tiny4", "keypoint_names": ["head", "neck", "l_hand", "r_hand"],
                          "edges": [[0, 1], [1, 2], [1, 3]], "flip_pairs": [[2, 3]],
                          "edge_sides": ["center", "left", "right"]},
             "input": {"name": "image", "shape": [1, 32, 32, 3], "dtype": "uint8", "color_order": "RGB",
                       "normalization": {"scale": 0.00784313725490196, "offset": -1.0, "applied_in_model": true},
                       "resize": "letterbox"},
             "outputs": {"keypoints": {"shape": [1, 4, 2], "dtype": "float32", "units": "input_pixels"},
                         "confidence": {"shape": [1, 4], "dtype": "float32", "range": [0.0, 1.0]}},
             "coordinates": "(x, y), x right, y down, origin at the top-left corner",
             "letterbox": "s = S / max(W, H); ..."
            }
            """;
    }

    /** Pseudo flatbuffer bytes standing in for a model. */
    static byte[] fakeModel(int length) {
        byte[] model = new byte[length];
        for (int i = 0; i < length; i++) {
            model[i] = (byte) (i * 31 + 7);
        }
        model[4] = 'T';
        model[5] = 'F';
        model[6] = 'L';
        model[7] = '3';
        return model;
    }

    /**
     * {@code prefix} followed by a one-entry ZIP archive, written like Python's {@code zipfile} in append
     * mode: with {@code absoluteOffsets} the offsets count from the start of the whole file (as
     * {@code embed_in_tflite} writes them), otherwise from the start of the archive.
     */
    static byte[] appendZip(byte[] prefix, String name, byte[] content, boolean deflate, boolean absoluteOffsets) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(content);
        byte[] data = deflate ? deflate(content) : content;
        int method = deflate ? 8 : 0;
        int base = absoluteOffsets ? prefix.length : 0;

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix);
        int localOffset = base; // the archive starts right after the prefix
        le32(out, 0x04034b50);
        le16(out, 20);
        le16(out, 0);
        le16(out, method);
        le16(out, 0);
        le16(out, 0x21);
        le32(out, (int) crc.getValue());
        le32(out, data.length);
        le32(out, content.length);
        le16(out, nameBytes.length);
        le16(out, 0);
        out.writeBytes(nameBytes);
        out.writeBytes(data);

        int centralOffset = base + 30 + nameBytes.length + data.length;
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        le32(central, 0x02014b50);
        le16(central, 20);
        le16(central, 20);
        le16(central, 0);
        le16(central, method);
        le16(central, 0);
        le16(central, 0x21);
        le32(central, (int) crc.getValue());
        le32(central, data.length);
        le32(central, content.length);
        le16(central, nameBytes.length);
        le16(central, 0);
        le16(central, 0);
        le16(central, 0);
        le16(central, 0);
        le32(central, 0);
        le32(central, localOffset);
        central.writeBytes(nameBytes);
        byte[] centralBytes = central.toByteArray();
        out.writeBytes(centralBytes);

        le32(out, 0x06054b50);
        le16(out, 0);
        le16(out, 0);
        le16(out, 1);
        le16(out, 1);
        le32(out, centralBytes.length);
        le32(out, centralOffset);
        le16(out, 0);
        return out.toByteArray();
    }

    static byte[] tflite(String contractJson, boolean deflate, boolean absoluteOffsets) {
        return appendZip(fakeModel(200), ModelContract.ENTRY_NAME, contractJson.getBytes(StandardCharsets.UTF_8),
                deflate, absoluteOffsets);
    }

    private static byte[] deflate(byte[] content) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        deflater.setInput(content);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1024];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }

    private static void le16(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >> 8) & 0xFF);
    }

    private static void le32(ByteArrayOutputStream out, int v) {
        le16(out, v & 0xFFFF);
        le16(out, (v >>> 16) & 0xFFFF);
    }
}
