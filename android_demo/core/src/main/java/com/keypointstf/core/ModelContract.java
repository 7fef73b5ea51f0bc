package com.keypointstf.core;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The exported detector's contract (Python: {@code keypoints_tf.contract}): skeleton, input tensor and
 * normalisation, output shapes. It travels inside the {@code .tflite} (ZIP entry {@value #ENTRY_NAME})
 * and beside it as {@code contract.json}.
 *
 * <p>Checks the same fields as Python's {@code validate_contract}, plus what the app relies on: a square
 * RGB input with letterbox resizing, a known dtype, {@code confidence} of shape [1, K] and one edge side
 * per edge. The optional {@code crop} section (the person-crop constants measured at export) becomes
 * {@link #crop}. Every problem raises {@link ContractException} naming the source and the field.
 *
 * <p>Example: {@code ModelContract contract = ModelContract.fromTflite(modelBytes, "model.tflite");}
 */
public final class ModelContract {

    public static final String FORMAT = "keypoints_tf.detector";
    public static final int FORMAT_VERSION = 1;
    public static final String ENTRY_NAME = "keypoints_contract.json";

    /** Element type of the model's input tensor. */
    public enum InputDtype {
        /** RGB bytes 0..255; normalisation, if any, happens inside the model. */
        UINT8,
        /** {@code pixel * scale + offset} per channel, unless applied in the model. */
        FLOAT32
    }

    public final Skeleton skeleton;
    /** Input tensor name in the "serving_default" signature ({@code "image"}). */
    public final String inputName;
    /** S: the input is [1, S, S, 3]. */
    public final int inputSize;
    public final InputDtype inputDtype;
    public final double normalizationScale;
    public final double normalizationOffset;
    public final boolean normalizationAppliedInModel;
    /** The calibrated person-crop constants ({@link CropSettings#forContract}); null when the export had none. */
    public final Crop crop;
    /** {@code model.kind} ("keypoint_gan", "supervised", "student", ...), or "" when absent. */
    public final String modelKind;
    /** {@code model.quantization} ("float32", "float16", "dynamic", "int8"), or "" when absent. */
    public final String quantization;

    /** The contract's {@code crop} section: {@code {"threshold", "expand", "offset": [x, y]}}. */
    public static final class Crop {
        public final double threshold;
        public final double expand;
        public final double offsetX;
        public final double offsetY;

        Crop(double threshold, double expand, double offsetX, double offsetY) {
            this.threshold = threshold;
            this.expand = expand;
            this.offsetX = offsetX;
            this.offsetY = offsetY;
        }
    }

    private ModelContract(Skeleton skeleton, String inputName, int inputSize, InputDtype inputDtype,
                          double normalizationScale, double normalizationOffset,
                          boolean normalizationAppliedInModel, Crop crop, String modelKind, String quantization) {
        this.skeleton = skeleton;
        this.inputName = inputName;
        this.inputSize = inputSize;
        this.inputDtype = inputDtype;
        this.normalizationScale = normalizationScale;
        this.normalizationOffset = normalizationOffset;
        this.normalizationAppliedInModel = normalizationAppliedInModel;
        this.crop = crop;
        this.modelKind = modelKind;
        this.quantization = quantization;
    }

    public int numKeypoints() {
        return skeleton.numKeypoints();
    }

    // === Sources ===

    /** The contract embedded in a {@code .tflite} held in memory. */
    public static ModelContract fromTflite(byte[] tfliteBytes, String source) {
        return fromJsonBytes(EmbeddedZip.readEntry(tfliteBytes, ENTRY_NAME, source), source);
    }

    /** The contract embedded in a {@code .tflite} file, read with {@link ZipFile} (offsets are absolute). */
    public static ModelContract fromTfliteFile(File file) {
        String source = file.getPath();
        try (ZipFile zip = new ZipFile(file)) {
            ZipEntry entry = zip.getEntry(ENTRY_NAME);
            if (entry == null) {
                throw new ContractException(source + ": the appended ZIP archive has no entry " + ENTRY_NAME);
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return fromJsonBytes(readAll(in), source);
            }
        } catch (IOException e) {
            throw new ContractException(source + ": no embedded " + ENTRY_NAME + " (" + e.getMessage()
                    + "); export with export/export_tflite.py or put the contract JSON beside the model", e);
        }
    }

    /** The contract from UTF-8 JSON bytes (the {@code contract.json} asset). */
    public static ModelContract fromJsonBytes(byte[] json, String source) {
        return fromJson(new String(json, StandardCharsets.UTF_8), source);
    }

    public static ModelContract fromJson(String json, String source) {
        Map<String, Object> root;
        try {
            root = Json.parseObject(json);
        } catch (Json.JsonException e) {
            throw new ContractException(source + ": not a JSON contract (" + e.getMessage() + ")", e);
        }
        return fromMap(root, source);
    }

    /** Validates a parsed contract object. */
    public static ModelContract fromMap(Map<String, Object> root, String source) {
        Fields fields = new Fields(source);
        Object format = root.get("format");
        if (!FORMAT.equals(format)) {
            throw fields.fail("'format' is " + quote(format) + ", expected \"" + FORMAT + "\"");
        }
        Object version = root.get("format_version");
        if (!(version instanceof Long) || (Long) version != FORMAT_VERSION) {
            throw fields.fail("'format_version' is " + quote(version) + "; this app reads " + FORMAT_VERSION);
        }
        Skeleton skeleton = readSkeleton(fields.object(root, "skeleton", "skeleton"), fields);
        int k = skeleton.numKeypoints();

        Map<String, Object> input = fields.object(root, "input", "input");
        List<Long> shape = fields.ints(input, "shape", "input.shape");
        if (shape.size() != 4 || shape.get(0) != 1 || shape.get(3) != 3 || shape.get(1) <= 0 || shape.get(2) <= 0) {
            throw fields.fail("input shape must be [1, H, W, 3], got " + shape);
        }
        if (!shape.get(1).equals(shape.get(2))) {
            throw fields.fail("input shape must be square [1, S, S, 3] (letterboxed), got " + shape);
        }
        String dtypeName = fields.string(input, "dtype", "input.dtype");
        InputDtype dtype;
        if (dtypeName.equals("uint8")) {
            dtype = InputDtype.UINT8;
        } else if (dtypeName.equals("float32")) {
            dtype = InputDtype.FLOAT32;
        } else {
            throw fields.fail("input.dtype must be \"uint8\" or \"float32\", got \"" + dtypeName + "\"");
        }
        String colorOrder = fields.string(input, "color_order", "input.color_order");
        if (!colorOrder.equals("RGB")) {
            throw fields.fail("input.color_order must be \"RGB\", got \"" + colorOrder + "\"");
        }
        String resize = fields.string(input, "resize", "input.resize");
        if (!resize.equals("letterbox")) {
            throw fields.fail("input.resize must be \"letterbox\", got \"" + resize + "\"");
        }
        Map<String, Object> normalization = fields.object(input, "normalization", "input.normalization");
        double scale = fields.number(normalization, "scale", "input.normalization.scale");
        double offset = fields.number(normalization, "offset", "input.normalization.offset");
        boolean appliedInModel = fields.bool(normalization, "applied_in_model", "input.normalization.applied_in_model");

        Map<String, Object> outputs = fields.object(root, "outputs", "outputs");
        List<Long> keypointsShape = fields.ints(fields.object(outputs, "keypoints", "outputs.keypoints"), "shape",
                "outputs.keypoints.shape");
        if (!keypointsShape.equals(longs(1, k, 2))) {
            throw fields.fail("keypoints output shape " + keypointsShape + " does not match the skeleton's " + k
                    + " keypoints");
        }
        List<Long> confidenceShape = fields.ints(fields.object(outputs, "confidence", "outputs.confidence"), "shape",
                "outputs.confidence.shape");
        if (!confidenceShape.equals(longs(1, k))) {
            throw fields.fail("confidence output shape " + confidenceShape + " does not match the skeleton's " + k
                    + " keypoints; expected [1, " + k + "]");
        }
        String inputName = input.containsKey("name") ? fields.string(input, "name", "input.name") : "image";
        Crop crop = root.get("crop") == null ? null : readCrop(fields.object(root, "crop", "crop"), fields);
        Object model = root.get("model");
        String kind = "";
        String quantization = "";
        if (model instanceof Map) {
            @SuppressWarnings("unchecked")
            Map<String, Object> modelMap = (Map<String, Object>) model;
            kind = modelMap.get("kind") instanceof String ? (String) modelMap.get("kind") : "";
            quantization = modelMap.get("quantization") instanceof String ? (String) modelMap.get("quantization") : "";
        }
        return new ModelContract(skeleton, inputName, shape.get(1).intValue(), dtype, scale, offset, appliedInModel,
                crop, kind, quantization);
    }

    private static Crop readCrop(Map<String, Object> map, Fields fields) {
        double threshold = fields.number(map, "threshold", "crop.threshold");
        double expand = fields.number(map, "expand", "crop.expand");
        List<Object> offset = fields.list(map, "offset", "crop.offset");
        if (offset.size() != 2 || !(offset.get(0) instanceof Number) || !(offset.get(1) instanceof Number)) {
            throw fields.fail("'crop.offset' must be [x, y] numbers, got " + offset);
        }
        if (!(threshold >= 0 && threshold <= 1 && expand > 0)) {
            throw fields.fail("'crop' needs a threshold in [0, 1] and a positive expand, got " + threshold + " and " + expand);
        }
        return new Crop(threshold, expand, ((Number) offset.get(0)).doubleValue(), ((Number) offset.get(1)).doubleValue());
    }

    private static Skeleton readSkeleton(Map<String, Object> map, Fields fields) {
        String name = fields.string(map, "name", "skeleton.name");
        List<Object> rawNames = fields.list(map, "keypoint_names", "skeleton.keypoint_names");
        List<String> names = new ArrayList<>();
        for (Object n : rawNames) {
            if (!(n instanceof String)) {
                throw fields.fail("skeleton.keypoint_names must be strings, got " + Json.typeName(n));
            }
            names.add((String) n);
        }
        int[][] edges = fields.pairs(map, "edges", "skeleton.edges");
        int[][] flipPairs = fields.pairs(map, "flip_pairs", "skeleton.flip_pairs");
        Side[] sides = null;
        if (map.containsKey("edge_sides")) {
            List<Object> rawSides = fields.list(map, "edge_sides", "skeleton.edge_sides");
            sides = new Side[rawSides.size()];
            for (int i = 0; i < sides.length; i++) {
                try {
                    sides[i] = Side.fromJson(String.valueOf(rawSides.get(i)));
                } catch (IllegalArgumentException e) {
                    throw fields.fail("skeleton.edge_sides[" + i + "]: " + e.getMessage());
                }
            }
        }
        try {
            return new Skeleton(name, names, edges, flipPairs, sides);
        } catch (IllegalArgumentException e) {
            throw fields.fail(e.getMessage());
        }
    }

    // === Helpers ===

    /** Typed access to JSON fields with messages that name the field and the source. */
    private static final class Fields {
        private final String source;

        Fields(String source) {
            this.source = source;
        }

        ContractException fail(String message) {
            return new ContractException(source + ": " + message);
        }

        Object get(Map<String, Object> map, String key, String path) {
            if (!map.containsKey(key)) {
                throw fail("missing field '" + path + "'");
            }
            return map.get(key);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object(Map<String, Object> map, String key, String path) {
            Object value = get(map, key, path);
            if (!(value instanceof Map)) {
                throw fail("'" + path + "' must be an object, got " + Json.typeName(value));
            }
            return (Map<String, Object>) value;
        }

        @SuppressWarnings("unchecked")
        List<Object> list(Map<String, Object> map, String key, String path) {
            Object value = get(map, key, path);
            if (!(value instanceof List)) {
                throw fail("'" + path + "' must be an array, got " + Json.typeName(value));
            }
            return (List<Object>) value;
        }

        String string(Map<String, Object> map, String key, String path) {
            Object value = get(map, key, path);
            if (!(value instanceof String)) {
                throw fail("'" + path + "' must be a string, got " + Json.typeName(value));
            }
            return (String) value;
        }

        double number(Map<String, Object> map, String key, String path) {
            Object value = get(map, key, path);
            if (!(value instanceof Number)) {
                throw fail("'" + path + "' must be a number, got " + Json.typeName(value));
            }
            return ((Number) value).doubleValue();
        }

        boolean bool(Map<String, Object> map, String key, String path) {
            Object value = get(map, key, path);
            if (!(value instanceof Boolean)) {
                throw fail("'" + path + "' must be true or false, got " + Json.typeName(value));
            }
            return (Boolean) value;
        }

        List<Long> ints(Map<String, Object> map, String key, String path) {
            List<Long> result = new ArrayList<>();
            for (Object value : list(map, key, path)) {
                if (!(value instanceof Long)) {
                    throw fail("'" + path + "' must hold integers, got " + Json.typeName(value) + " " + value);
                }
                result.add((Long) value);
            }
            return result;
        }

        int[][] pairs(Map<String, Object> map, String key, String path) {
            List<Object> raw = list(map, key, path);
            int[][] pairs = new int[raw.size()][];
            for (int i = 0; i < pairs.length; i++) {
                Object pair = raw.get(i);
                if (!(pair instanceof List) || ((List<?>) pair).size() != 2
                        || !(((List<?>) pair).get(0) instanceof Long) || !(((List<?>) pair).get(1) instanceof Long)) {
                    throw fail("'" + path + "[" + i + "]' must be a pair [a, b] of keypoint indices, got " + pair);
                }
                List<?> values = (List<?>) pair;
                long a = (Long) values.get(0);
                long b = (Long) values.get(1);
                if (a != (int) a || b != (int) b) {
                    throw fail("'" + path + "[" + i + "]' holds an index out of range: " + pair);
                }
                pairs[i] = new int[] {(int) a, (int) b};
            }
            return pairs;
        }
    }

    private static List<Long> longs(long... values) {
        List<Long> list = new ArrayList<>();
        for (long v : values) list.add(v);
        return list;
    }

    private static String quote(Object value) {
        return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
