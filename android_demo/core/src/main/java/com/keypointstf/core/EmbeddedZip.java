package com.keypointstf.core;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads one entry of a ZIP archive appended to other bytes (the contract appended to a {@code .tflite}).
 *
 * <p>{@code keypoints_tf.contract.embed_in_tflite} appends the archive in append mode, so its offsets count
 * from the start of the file (as TFLite metadata does) and {@code java.util.zip.ZipFile} reads the file
 * directly. This class does the same for a {@code byte[]} already in memory: it finds the End Of Central
 * Directory record, walks the central directory and inflates (or copies) the entry, checking its CRC-32.
 * Archives whose offsets are relative to the archive itself (a ZIP simply concatenated to the model) are
 * read too: the distance between where the central directory is and where the record says it is gives
 * the shift.
 */
public final class EmbeddedZip {

    private static final int EOCD_SIGNATURE = 0x06054b50;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int EOCD_SIZE = 22;
    private static final int CENTRAL_HEADER_SIZE = 46;
    private static final int LOCAL_HEADER_SIZE = 30;
    private static final int MAX_COMMENT = 0xFFFF;
    /** The contract is a few kB; refuse anything absurd instead of allocating it. */
    private static final long MAX_ENTRY_SIZE = 16L << 20;

    private EmbeddedZip() {}

    /**
     * The uncompressed bytes of {@code entryName}.
     *
     * @param data the whole file (model flatbuffer followed by the archive)
     * @param entryName the entry to read, e.g. {@code keypoints_contract.json}
     * @param source a name for error messages (file or asset name)
     * @throws ContractException if there is no archive, no such entry, or the archive is corrupt
     */
    public static byte[] readEntry(byte[] data, String entryName, String source) {
        if (data == null) {
            throw new ContractException(source + ": expected the model bytes, got null");
        }
        int eocd = findEndOfCentralDirectory(data);
        if (eocd < 0) {
            throw new ContractException(source + ": no ZIP archive appended to the model (no End Of Central "
                    + "Directory record), so no embedded " + entryName + "; export with export/export_tflite.py "
                    + "or put the contract JSON beside the model");
        }
        int entries = u16(data, eocd + 10);
        long centralSize = u32(data, eocd + 12);
        long centralOffset = u32(data, eocd + 16);
        if (entries == 0xFFFF || centralSize == 0xFFFFFFFFL || centralOffset == 0xFFFFFFFFL) {
            throw new ContractException(source + ": ZIP64 archives are not supported (the contract is tiny)");
        }
        long centralStart = eocd - centralSize;
        if (centralStart < 0) {
            throw new ContractException(source + ": corrupt ZIP: the central directory (" + centralSize
                    + " bytes) does not fit before its end record at byte " + eocd);
        }
        // 0 when offsets are absolute (embed_in_tflite); the model's length when relative to the archive.
        long shift = centralStart - centralOffset;

        long position = centralStart;
        for (int i = 0; i < entries; i++) {
            require(data, position, CENTRAL_HEADER_SIZE, source, "central directory entry " + i);
            if (s32(data, position) != CENTRAL_SIGNATURE) {
                throw new ContractException(source + ": corrupt ZIP: bad signature for central directory entry "
                        + i + " at byte " + position);
            }
            int flags = u16(data, position + 8);
            int method = u16(data, position + 10);
            long crc = u32(data, position + 16);
            long compressedSize = u32(data, position + 20);
            long size = u32(data, position + 24);
            int nameLength = u16(data, position + 28);
            int extraLength = u16(data, position + 30);
            int commentLength = u16(data, position + 32);
            long localOffset = u32(data, position + 42);
            require(data, position + CENTRAL_HEADER_SIZE, nameLength, source, "an entry name");
            String name = new String(data, (int) (position + CENTRAL_HEADER_SIZE), nameLength,
                    StandardCharsets.UTF_8);
            if (name.equals(entryName)) {
                if ((flags & 1) != 0) {
                    throw new ContractException(source + ": " + entryName + " is encrypted; expected a plain entry");
                }
                return readLocalEntry(data, localOffset + shift, method, crc, compressedSize, size,
                        entryName, source);
            }
            position += (long) CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
        }
        throw new ContractException(source + ": the appended ZIP archive has no entry " + entryName
                + "; export with export/export_tflite.py or put the contract JSON beside the model");
    }

    private static byte[] readLocalEntry(byte[] data, long offset, int method, long crc, long compressedSize,
                                         long size, String entryName, String source) {
        require(data, offset, LOCAL_HEADER_SIZE, source, "the local header of " + entryName);
        if (s32(data, offset) != LOCAL_SIGNATURE) {
            throw new ContractException(source + ": corrupt ZIP: no local header for " + entryName + " at byte "
                    + offset);
        }
        if (size > MAX_ENTRY_SIZE || compressedSize > MAX_ENTRY_SIZE) {
            throw new ContractException(source + ": " + entryName + " claims " + size + " bytes; expected a small "
                    + "JSON contract");
        }
        long start = offset + LOCAL_HEADER_SIZE + u16(data, offset + 26) + u16(data, offset + 28);
        require(data, start, compressedSize, source, "the data of " + entryName);
        byte[] result;
        if (method == 0) {
            if (compressedSize != size) {
                throw new ContractException(source + ": corrupt ZIP: stored entry " + entryName + " has sizes "
                        + compressedSize + " and " + size);
            }
            result = new byte[(int) size];
            System.arraycopy(data, (int) start, result, 0, (int) size);
        } else if (method == 8) {
            result = inflate(data, (int) start, (int) compressedSize, (int) size, entryName, source);
        } else {
            throw new ContractException(source + ": " + entryName + " uses ZIP compression method " + method
                    + "; expected 0 (stored) or 8 (deflated)");
        }
        CRC32 checksum = new CRC32();
        checksum.update(result, 0, result.length);
        if (checksum.getValue() != crc) {
            throw new ContractException(source + ": corrupt ZIP: CRC-32 mismatch for " + entryName);
        }
        return result;
    }

    private static byte[] inflate(byte[] data, int start, int compressedSize, int size, String entryName,
                                  String source) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(data, start, compressedSize);
            byte[] result = new byte[size];
            int written = 0;
            while (written < size) {
                int n = inflater.inflate(result, written, size - written);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                written += n;
            }
            if (written != size) {
                throw new ContractException(source + ": corrupt ZIP: " + entryName + " inflates to " + written
                        + " bytes, expected " + size);
            }
            return result;
        } catch (DataFormatException e) {
            throw new ContractException(source + ": corrupt ZIP: cannot inflate " + entryName + " (" + e.getMessage()
                    + ")", e);
        } finally {
            inflater.end();
        }
    }

    /** Position of the last End Of Central Directory record whose comment ends the data, or -1. */
    private static int findEndOfCentralDirectory(byte[] data) {
        int last = data.length - EOCD_SIZE;
        int first = Math.max(0, last - MAX_COMMENT);
        for (int i = last; i >= first; i--) {
            if (s32(data, i) == EOCD_SIGNATURE && i + EOCD_SIZE + u16(data, i + 20) == data.length) {
                return i;
            }
        }
        return -1;
    }

    private static void require(byte[] data, long start, long length, String source, String what) {
        if (start < 0 || length < 0 || start + length > data.length) {
            throw new ContractException(source + ": corrupt ZIP: " + what + " (bytes " + start + " to "
                    + (start + length) + ") lies outside the file's " + data.length + " bytes");
        }
    }

    private static int u16(byte[] data, long at) {
        int i = (int) at;
        return (data[i] & 0xFF) | (data[i + 1] & 0xFF) << 8;
    }

    private static long u32(byte[] data, long at) {
        return s32(data, at) & 0xFFFFFFFFL;
    }

    private static int s32(byte[] data, long at) {
        int i = (int) at;
        return (data[i] & 0xFF) | (data[i + 1] & 0xFF) << 8 | (data[i + 2] & 0xFF) << 16 | (data[i + 3] & 0xFF) << 24;
    }
}
