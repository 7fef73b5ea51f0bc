package com.keypointstf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ModelContractTest {

    @Rule
    public TemporaryFolder temporaryFolder = new TemporaryFolder();

    private static void assertTiny4(ModelContract contract) {
        assertEquals("tiny4", contract.skeleton.name);
        assertEquals(List.of("head", "neck", "l_hand", "r_hand"), contract.skeleton.keypointNames);
        assertEquals(4, contract.numKeypoints());
        assertEquals(3, contract.skeleton.numEdges());
        assertArrayEquals(new int[] {1, 3}, contract.skeleton.edge(2));
        assertArrayEquals(new int[] {2, 3}, contract.skeleton.flipPair(0));
        assertEquals(Side.CENTER, contract.skeleton.edgeSide(0));
        assertEquals(Side.LEFT, contract.skeleton.edgeSide(1));
        assertEquals(Side.RIGHT, contract.skeleton.edgeSide(2));
        assertEquals("image", contract.inputName);
        assertEquals(32, contract.inputSize);
        assertEquals(ModelContract.InputDtype.UINT8, contract.inputDtype);
        assertEquals(2.0 / 255.0, contract.normalizationScale, 1e-12);
        assertEquals(-1.0, contract.normalizationOffset, 0.0);
        assertTrue(contract.normalizationAppliedInModel);
    }

    @Test
    public void readsTheJsonAsset() {
        assertTiny4(ModelContract.fromJson(TestFiles.contractJson(), "contract.json"));
    }

    @Test
    public void readsTheEntryAppendedToTfliteBytes() {
        for (boolean deflate : new boolean[] {false, true}) {
            for (boolean absolute : new boolean[] {true, false}) {
                byte[] tflite = TestFiles.tflite(TestFiles.contractJson(), deflate, absolute);
                assertTiny4(ModelContract.fromTflite(tflite, "model.tflite"));
            }
        }
    }

    @Test
    public void zipFileReadsTheAbsoluteOffsetArchiveOnDisk() throws IOException {
        File file = temporaryFolder.newFile("model.tflite");
        Files.write(file.toPath(), TestFiles.tflite(TestFiles.contractJson(), true, true));
        assertTiny4(ModelContract.fromTfliteFile(file));
    }

    @Test
    public void findsTheEntryAmongOthers() {
        byte[] withOther = TestFiles.appendZip(TestFiles.fakeModel(64), "other.txt", new byte[] {1, 2, 3}, false, true);
        // A model with two archives: only the last one (ending the file) counts.
        byte[] tflite = TestFiles.appendZip(withOther, ModelContract.ENTRY_NAME,
                TestFiles.contractJson().getBytes(StandardCharsets.UTF_8), true, true);
        assertTiny4(ModelContract.fromTflite(tflite, "model.tflite"));
    }

    @Test
    public void derivesEdgeSidesFromNamesWhenAbsent() {
        String json = TestFiles.contractJson().replaceAll(",\\s*\"edge_sides\": \\[[^\\]]*\\]", "");
        assertFalse(json.contains("edge_sides"));
        ModelContract contract = ModelContract.fromJson(json, "contract.json");
        assertEquals(Side.CENTER, contract.skeleton.edgeSide(0));
        assertEquals(Side.LEFT, contract.skeleton.edgeSide(1));
        assertEquals(Side.RIGHT, contract.skeleton.edgeSide(2));
    }

    @Test
    public void malformedArchivesRaiseClearErrors() {
        assertContractError(() -> ModelContract.fromTflite(TestFiles.fakeModel(300), "model.tflite"),
                "model.tflite: no ZIP archive appended");
        assertContractError(() -> ModelContract.fromTflite(new byte[3], "tiny.tflite"), "no ZIP archive appended");
        byte[] otherEntry = TestFiles.appendZip(TestFiles.fakeModel(100), "metadata.json", new byte[] {'{', '}'},
                false, true);
        assertContractError(() -> ModelContract.fromTflite(otherEntry, "model.tflite"),
                "has no entry keypoints_contract.json");

        byte[] good = TestFiles.tflite(TestFiles.contractJson(), true, true);
        byte[] corruptData = good.clone();
        corruptData[200 + 30 + ModelContract.ENTRY_NAME.length() + 5] ^= 0x55;
        assertContractError(() -> ModelContract.fromTflite(corruptData, "model.tflite"), "corrupt ZIP");

        byte[] stored = TestFiles.tflite(TestFiles.contractJson(), false, true);
        byte[] badCrc = stored.clone();
        badCrc[200 + 30 + ModelContract.ENTRY_NAME.length() + 10] ^= 0x01;
        assertContractError(() -> ModelContract.fromTflite(badCrc, "model.tflite"), "CRC-32 mismatch");

        // A model whose head was cut off still reads (offsets are re-based on the central directory) ...
        assertTiny4(ModelContract.fromTflite(Arrays.copyOfRange(stored, 150, stored.length), "cut.tflite"));
        // ... but sizes and offsets that point outside the file do not.
        byte[] hugeDirectory = stored.clone();
        hugeDirectory[stored.length - 22 + 14] = 0x7F;
        assertContractError(() -> ModelContract.fromTflite(hugeDirectory, "model.tflite"), "does not fit before");
        byte[] farEntry = stored.clone();
        farEntry[stored.length - 22 - (46 + ModelContract.ENTRY_NAME.length()) + 45] = 0x40;
        assertContractError(() -> ModelContract.fromTflite(farEntry, "model.tflite"), "lies outside the file");

        byte[] badMethod = stored.clone();
        int central = stored.length - 22 - (46 + ModelContract.ENTRY_NAME.length());
        badMethod[central + 10] = 12; // bzip2
        assertContractError(() -> ModelContract.fromTflite(badMethod, "model.tflite"), "compression method 12");

        byte[] encrypted = stored.clone();
        encrypted[central + 8] = 1;
        assertContractError(() -> ModelContract.fromTflite(encrypted, "model.tflite"), "encrypted");
    }

    @Test
    public void zipFileReportsAMissingArchive() throws IOException {
        File file = temporaryFolder.newFile("plain.tflite");
        Files.write(file.toPath(), TestFiles.fakeModel(100));
        assertContractError(() -> ModelContract.fromTfliteFile(file), "no embedded keypoints_contract.json");
    }

    @Test
    public void invalidContractsRaiseClearErrors() {
        String good = TestFiles.contractJson();
        String[][] cases = {
            {"{", "not a JSON contract"},
            {"[]", "not a JSON contract"},
            {good.replace("keypoints_tf.detector", "other"), "'format' is \"other\", expected \"keypoints_tf.detector\""},
            {good.replace("\"format_version\": 1", "\"format_version\": 2"), "'format_version' is 2; this app reads 1"},
            {good.replace("\"skeleton\":", "\"skeletons\":"), "missing field 'skeleton'"},
            {good.replace("\"shape\": [1, 32, 32, 3]", "\"shape\": [1, 32, 32]"), "input shape must be [1, H, W, 3]"},
            {good.replace("\"shape\": [1, 32, 32, 3]", "\"shape\": [1, 32, 24, 3]"), "must be square"},
            {good.replace("\"shape\": [1, 32, 32, 3]", "\"shape\": [1, 32.5, 32, 3]"), "must hold integers"},
            {good.replace("\"dtype\": \"uint8\"", "\"dtype\": \"int8\""), "input.dtype must be \"uint8\" or \"float32\""},
            {good.replace("\"RGB\"", "\"BGR\""), "input.color_order must be \"RGB\""},
            {good.replace("\"letterbox\"", "\"stretch\""), "input.resize must be \"letterbox\""},
            {good.replace("\"applied_in_model\": true", "\"applied_in_model\": 1"),
                "'input.normalization.applied_in_model' must be true or false, got number"},
            {good.replace("\"shape\": [1, 4, 2]", "\"shape\": [1, 5, 2]"), "keypoints output shape [1, 5, 2] does not match"},
            {good.replace("\"shape\": [1, 4]", "\"shape\": [4]"), "confidence output shape [4] does not match"},
            {good.replace("[[0, 1], [1, 2], [1, 3]]", "[[0, 1], [1, 2], [1, 4]]"),
                "edge (1, 4) must join two different keypoints in [0, 4)"},
            {good.replace("[[0, 1], [1, 2], [1, 3]]", "[[0, 1], [1, 2], [1]]"), "'skeleton.edges[2]' must be a pair"},
            {good.replace("\"right\"]", "\"up\"]"), "skeleton.edge_sides[2]"},
            {good.replace("\"right\"]", "\"right\", \"left\"]"), "expected one edge side per edge (3), got 4"},
            {good.replace("\"r_hand\"]", "\"l_hand\"]"), "keypoint names must be unique"},
            {good.replace("[[2, 3]]", "[[2, 3], [3, 1]]"), "more than one flip pair"},
        };
        for (String[] c : cases) {
            assertContractError(() -> ModelContract.fromJson(c[0], "contract.json"), c[1]);
        }
    }

    @Test
    public void embeddedContractErrorsNameTheModel() {
        byte[] tflite = TestFiles.tflite(TestFiles.contractJson().replace("\"format_version\": 1", "\"format_version\": 7"),
                true, true);
        assertContractError(() -> ModelContract.fromTflite(tflite, "pose.tflite"), "pose.tflite: 'format_version' is 7");
    }

    private static void assertContractError(org.junit.function.ThrowingRunnable runnable, String expected) {
        ContractException e = assertThrows(expected, ContractException.class, runnable);
        assertTrue("expected the message to contain <" + expected + ">, got <" + e.getMessage() + ">",
                e.getMessage().contains(expected));
    }

    @Test
    public void theOptionalCropAndModelSectionsAreRead() {
        String json = TestFiles.contractJson().replace("\"letterbox\": \"s = S / max(W, H); ...\"",
                "\"letterbox\": \"s\", \"model\": {\"kind\": \"student\", \"quantization\": \"int8\"}, "
                        + "\"crop\": {\"threshold\": 0.2, \"expand\": 3, \"offset\": [0, -0.1]}");
        ModelContract contract = ModelContract.fromJson(json, "c.json");
        assertEquals(0.2, contract.crop.threshold, 0);
        assertEquals(3.0, contract.crop.expand, 0);
        assertEquals(-0.1, contract.crop.offsetY, 0);
        assertEquals("student", contract.modelKind);
        assertEquals("int8", contract.quantization);
        ModelContract plain = ModelContract.fromJson(TestFiles.contractJson(), "c.json");
        assertNull(plain.crop);
        assertEquals("", plain.modelKind);
        assertContractError(() -> ModelContract.fromJson(json.replace("[0, -0.1]", "[0]"), "c.json"),
                "'crop.offset' must be [x, y] numbers");
        assertContractError(() -> ModelContract.fromJson(json.replace("\"expand\": 3", "\"expand\": -1"), "c.json"),
                "positive expand");
    }
}
