package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.FileNotFoundException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.Test;

public class ModelCatalogTest {

    /** A contract of the tiny4 skeleton with a model section. */
    private static String contract(String kind, String quantization, int size) {
        return TestFiles.contractJson().replace("[1, 32, 32, 3]", "[1, " + size + ", " + size + ", 3]")
                .replace("\"letterbox\": \"s = S / max(W, H); ...\"",
                        "\"letterbox\": \"s\", \"model\": {\"kind\": \"" + kind + "\", \"quantization\": \"" + quantization + "\"}");
    }

    private static byte[] embedded(String json) {
        return TestFiles.tflite(json, false, true);
    }

    private static ModelCatalog catalog(Map<String, byte[]> folder) {
        return ModelCatalog.load(new ArrayList<>(folder.keySet()), name -> {
            byte[] bytes = folder.get(name);
            if (bytes == null) throw new FileNotFoundException(name);
            return bytes;
        });
    }

    @Test
    public void modelsPairWithTheirOwnContractsAndNothingIsShared() {
        Map<String, byte[]> folder = new HashMap<>();
        folder.put("people_walk_int8.tflite", embedded(contract("keypoint_gan", "int8", 64)));
        folder.put("people_walk_student_int8.tflite", TestFiles.fakeModel(300)); // no embedded contract
        folder.put("people_walk_student_int8.contract.json",
                contract("student", "int8", 64).getBytes(StandardCharsets.UTF_8));
        folder.put("synthetic_int8.tflite", embedded(contract("keypoint_gan", "int8", 64)));
        folder.put("contract.json", contract("keypoint_gan", "float32", 32).getBytes(StandardCharsets.UTF_8));
        ModelCatalog catalog = catalog(folder);
        assertEquals(Arrays.asList("people_walk_int8", "people_walk_student_int8", "synthetic_int8"),
                Arrays.asList(catalog.entries().get(0).name, catalog.entries().get(1).name, catalog.entries().get(2).name));
        assertTrue(catalog.problems().isEmpty());
        ModelCatalog.Entry student = catalog.find("people_walk_student_int8");
        assertTrue(student.isStudent());
        assertEquals("people_walk_student_int8 (student, int8, 64 px)", student.label());
        assertEquals("people_walk_int8 (teacher, int8, 64 px)", catalog.find("people_walk_int8").label());
    }

    @Test
    public void theDefaultIsThePreferredModelElseTheFirstTeacher() {
        Map<String, byte[]> folder = new HashMap<>();
        folder.put("a_student.tflite", embedded(contract("student", "int8", 32)));
        folder.put("b_teacher.tflite", embedded(contract("keypoint_gan", "float16", 64)));
        ModelCatalog catalog = catalog(folder);
        assertEquals("b_teacher", catalog.defaultEntry(null).name);
        assertEquals("b_teacher", catalog.defaultEntry("not_bundled").name);
        assertEquals("a_student", catalog.defaultEntry("a_student").name);
        folder.put(ModelCatalog.DEFAULT_FILE, "a_student\n".getBytes(StandardCharsets.UTF_8)); // the build's choice
        assertEquals("a_student", catalog(folder).defaultEntry().name);
        assertNull(catalog(new HashMap<>()).defaultEntry("x"));
    }

    @Test
    public void aLegacyContractJsonServesOnlyALoneModel() {
        Map<String, byte[]> folder = new HashMap<>();
        folder.put("model.tflite", TestFiles.fakeModel(300));
        folder.put("contract.json", contract("keypoint_gan", "float32", 32).getBytes(StandardCharsets.UTF_8));
        assertEquals(32, catalog(folder).find("model").contract.inputSize);
        folder.put("other.tflite", TestFiles.fakeModel(300));
        ModelCatalog two = catalog(folder);
        assertTrue("neither model can claim contract.json", two.entries().isEmpty());
        assertEquals(2, two.problems().size());
        assertTrue(two.problems().get(0), two.problems().get(0).startsWith("model.tflite: "));
        assertTrue(two.emptyMessage(), two.emptyMessage().startsWith("No usable model: model.tflite"));
    }

    @Test
    public void anEmptyFolderSaysHowToBundleAModel() {
        ModelCatalog empty = catalog(new HashMap<>());
        assertTrue(empty.entries().isEmpty());
        assertTrue(empty.emptyMessage(), empty.emptyMessage().contains("keypoints_tf/pretrained"));
    }
}
