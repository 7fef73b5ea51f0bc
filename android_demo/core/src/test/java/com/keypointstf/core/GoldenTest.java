package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.Before;
import org.junit.Test;

/**
 * The Java core against the golden files written by the Python exporter ({@code export/write_golden.py}).
 *
 * <p>The folder (system property {@value #DIR_PROPERTY}, set by {@code run_jvm_tests.sh}) holds
 * {@code golden_contract.json}, {@code golden_input.png} (a non-square RGB frame) and {@code golden.json}: the raw
 * outputs the model gave for that frame, the frame-pixel keypoints the Python detector reported, and the
 * mean of the uint8 tensor Python fed the model. The core's post-processing of the raw outputs must land
 * on Python's keypoints, and its pre-processing of the PNG must give nearly the same tensor mean.
 */
public class GoldenTest {

    static final String DIR_PROPERTY = "keypoints.golden.dir";
    /** Frame pixels; the same tolerance as the on-device test's post-processing check. */
    static final double KEYPOINT_TOLERANCE_PX = 0.5;
    /**
     * Both sides compute the same formula from the same float32 outputs, so they agree to round-off. This
     * bound catches a convention change too small for {@link #KEYPOINT_TOLERANCE_PX}: moving to pixel
     * centres shifts points by 0.5 (1 / s - 1) frame px, only 0.25 px for a 96 px frame in a 64 px input.
     */
    static final double ROUND_OFF_TOLERANCE_PX = 0.01;
    /** The mean of 0..255 values; Java's area filter and OpenCV's INTER_AREA round differently. */
    static final double TENSOR_MEAN_TOLERANCE = 2.0;

    private File dir;
    private Map<String, Object> golden;
    private ModelContract contract;
    private BufferedImage image;

    @Before
    public void load() throws IOException {
        dir = goldenDir();
        golden = Json.parseObject(read(dir, "golden.json"));
        contract = ModelContract.fromJson(read(dir, "golden_contract.json"),
                new File(dir, "golden_contract.json").getPath());
        File imageFile = new File(dir, (String) golden.get("image"));
        image = ImageIO.read(imageFile);
        if (image == null) {
            fail("cannot decode " + imageFile + " with javax.imageio; expected a PNG");
        }
    }

    @Test
    public void goldenFilesAreConsistent() {
        assertEquals("image_width", ((Number) golden.get("image_width")).intValue(), image.getWidth());
        assertEquals("image_height", ((Number) golden.get("image_height")).intValue(), image.getHeight());
        assertEquals("input_size", ((Number) golden.get("input_size")).intValue(), contract.inputSize);
        assertTrue("the golden frame should not be square, or the letterbox is not exercised",
                image.getWidth() != image.getHeight());
    }

    @Test
    public void postprocessingMatchesPythonKeypoints() {
        int k = contract.numKeypoints();
        Map<?, ?> raw = (Map<?, ?>) golden.get("raw_outputs");
        float[] rawKeypoints = flatten((List<?>) raw.get("keypoints"), 2 * k, "raw_outputs.keypoints");
        float[] rawConfidence = flatten((List<?>) raw.get("confidence"), k, "raw_outputs.confidence");
        float[] expected = flatten((List<?>) golden.get("python_keypoints"), 2 * k, "python_keypoints");
        float[] expectedConfidence = flatten((List<?>) golden.get("python_confidence"), k, "python_confidence");

        Letterbox letterbox = Letterbox.of(image.getWidth(), image.getHeight(), contract.inputSize);
        Pose pose = new Postprocessor(contract).toFramePose(rawKeypoints, rawConfidence, letterbox);

        double worst = 0;
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < k; i++) {
            double error = Math.max(Math.abs(pose.x(i) - expected[2 * i]), Math.abs(pose.y(i) - expected[2 * i + 1]));
            worst = Math.max(worst, error);
            if (error > ROUND_OFF_TOLERANCE_PX) {
                report.append(String.format("%n  keypoint %d (%s): Java (%.3f, %.3f), Python (%.3f, %.3f)", i,
                        contract.skeleton.keypointNames.get(i), pose.x(i), pose.y(i), expected[2 * i], expected[2 * i + 1]));
            }
            assertEquals("confidence " + i, expectedConfidence[i], pose.confidence(i), 1e-6f);
        }
        String message = "Java post-processing vs python_keypoints, worst error " + worst + " px (" + letterbox + "):"
                + report;
        assertTrue(message, worst <= KEYPOINT_TOLERANCE_PX);
        assertTrue("within " + KEYPOINT_TOLERANCE_PX + " px but not round-off: has the convention changed? " + message,
                worst <= ROUND_OFF_TOLERANCE_PX);
    }

    @Test
    public void preprocessingMatchesPythonTensorMean() {
        int w = image.getWidth();
        int h = image.getHeight();
        Frame frame = new Frame(image.getRGB(0, 0, w, h, null, 0, w), w, h);
        Letterbox letterbox = Letterbox.of(w, h, contract.inputSize);
        byte[] tensor = Preprocessor.letterboxRgb(frame, letterbox); // uint8, whatever the model's dtype
        double mean = new InputTensor(letterbox, tensor, null).uint8Mean();
        double expected = ((Number) golden.get("input_tensor_mean")).doubleValue();
        assertEquals("mean of the uint8 input tensor (Java " + mean + ", Python " + expected + ")", expected, mean,
                TENSOR_MEAN_TOLERANCE);
    }

    @Test
    public void pythonEdgeSidesFollowTheNameRule() {
        Skeleton skeleton = contract.skeleton;
        Skeleton fromNames = new Skeleton(skeleton.name, skeleton.keypointNames, edges(skeleton), new int[0][], null);
        for (int e = 0; e < skeleton.numEdges(); e++) {
            assertEquals("edge " + e, fromNames.edgeSide(e), skeleton.edgeSide(e));
        }
    }

    private static int[][] edges(Skeleton skeleton) {
        int[][] edges = new int[skeleton.numEdges()][];
        for (int e = 0; e < edges.length; e++) edges[e] = skeleton.edge(e);
        return edges;
    }

    static String read(File dir, String name) throws IOException {
        File file = new File(dir, name);
        if (!file.isFile()) {
            fail("golden folder " + dir + " has no " + name + " (delete it and run android_demo/run_jvm_tests.sh to "
                    + "rewrite it with export/write_golden.py)");
        }
        return new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8);
    }

    /** The golden folder from the system property, or a failure saying how to make one. */
    static File goldenDir() {
        String path = System.getProperty(DIR_PROPERTY);
        if (path == null || !new File(path).isDirectory()) {
            fail("golden folder not found: set -D" + DIR_PROPERTY + "=<folder written by export/write_golden.py> "
                    + "(android_demo/run_jvm_tests.sh does); got " + path);
        }
        return new File(path);
    }

    /** Nested JSON arrays of numbers -> a flat float array of the expected length. */
    static float[] flatten(List<?> nested, int expectedLength, String field) {
        float[] out = new float[expectedLength];
        int n = flattenInto(nested, out, 0, field);
        if (n != expectedLength) {
            fail(field + ": expected " + expectedLength + " numbers, got " + n);
        }
        return out;
    }

    private static int flattenInto(Object value, float[] out, int at, String field) {
        if (value instanceof Number) {
            if (at < out.length) out[at] = ((Number) value).floatValue();
            return at + 1;
        }
        if (!(value instanceof List)) {
            fail(field + ": expected nested arrays of numbers, found " + Json.typeName(value));
        }
        for (Object item : (List<?>) value) at = flattenInto(item, out, at, field);
        return at;
    }
}
