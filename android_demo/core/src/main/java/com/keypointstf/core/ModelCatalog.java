package com.keypointstf.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The models bundled with the app (the {@code models/} asset folder, filled at build time from
 * {@code keypoints_tf/pretrained/} or {@code -Pkeypoints.modelDir}): every {@code NAME.tflite} with its
 * contract, which teacher or student it is, and which one starts.
 *
 * <p>A model's contract is the one embedded in it, else {@code NAME.contract.json} beside it, else a legacy
 * {@code contract.json} when it is the folder's only model (so that it cannot be another model's). The same
 * pairing as Python's {@code keypoints_tf.contract.find_beside}. A model whose contract cannot be read is
 * left out and reported in {@link #problems()}, so one bad file does not take the others down.
 */
public final class ModelCatalog {

    public static final String MODEL_SUFFIX = ".tflite";
    public static final String CONTRACT_SUFFIX = ".contract.json";
    public static final String LEGACY_CONTRACT = "contract.json";
    /** Holds the NAME the app starts with (the build's keypoints.defaultModel). */
    public static final String DEFAULT_FILE = "default_model.txt";

    /** Reads a file of the folder by name (an asset, a file on the JVM). */
    public interface Files {
        byte[] read(String name) throws IOException;
    }

    /** One bundled model. */
    public static final class Entry {
        /** NAME (the file name without .tflite), e.g. "people_walk_int8". */
        public final String name;
        /** NAME.tflite. */
        public final String file;
        public final ModelContract contract;

        Entry(String name, String file, ModelContract contract) {
            this.name = name;
            this.file = file;
            this.contract = contract;
        }

        /** A distilled student (contract {@code model.kind} "student"), else a teacher. */
        public boolean isStudent() {
            return "student".equals(contract.modelKind);
        }

        /** What the menu shows, e.g. "people_walk_int8 (teacher, int8, 64 px)". */
        public String label() {
            StringBuilder label = new StringBuilder(name).append(" (").append(isStudent() ? "student" : "teacher");
            if (!contract.quantization.isEmpty()) {
                label.append(", ").append(contract.quantization);
            }
            return label.append(", ").append(contract.inputSize).append(" px)").toString();
        }
    }

    private final List<Entry> entries;
    private final List<String> problems;
    private final String preferred;

    private ModelCatalog(List<Entry> entries, List<String> problems, String preferred) {
        this.entries = Collections.unmodifiableList(entries);
        this.problems = Collections.unmodifiableList(problems);
        this.preferred = preferred;
    }

    /** The catalog of a folder holding {@code fileNames}, read through {@code files}; models sorted by name. */
    public static ModelCatalog load(List<String> fileNames, Files files) {
        List<String> models = new ArrayList<>();
        for (String name : fileNames) {
            if (name.endsWith(MODEL_SUFFIX) && name.length() > MODEL_SUFFIX.length()) {
                models.add(name);
            }
        }
        Collections.sort(models);
        List<Entry> entries = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String file : models) {
            String name = file.substring(0, file.length() - MODEL_SUFFIX.length());
            try {
                entries.add(new Entry(name, file, readContract(file, name, fileNames, models.size() == 1, files)));
            } catch (ContractException | IOException e) {
                problems.add(file + ": " + e.getMessage());
            }
        }
        String preferred = null;
        if (fileNames.contains(DEFAULT_FILE)) {
            try {
                preferred = new String(files.read(DEFAULT_FILE), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                problems.add(DEFAULT_FILE + ": " + e.getMessage());
            }
        }
        return new ModelCatalog(entries, problems, preferred);
    }

    private static ModelContract readContract(String file, String name, List<String> fileNames, boolean alone,
                                              Files files) throws IOException {
        try {
            return ModelContract.fromTflite(files.read(file), file);
        } catch (ContractException embedded) {
            String beside = name + CONTRACT_SUFFIX;
            if (fileNames.contains(beside)) {
                return ModelContract.fromJsonBytes(files.read(beside), beside);
            }
            if (alone && fileNames.contains(LEGACY_CONTRACT)) {
                return ModelContract.fromJsonBytes(files.read(LEGACY_CONTRACT), LEGACY_CONTRACT);
            }
            throw embedded;
        }
    }

    public List<Entry> entries() {
        return entries;
    }

    /** "NAME.tflite: why" for each model left out. */
    public List<String> problems() {
        return problems;
    }

    /** The entry named {@code name} (without .tflite), or null. */
    public Entry find(String name) {
        for (Entry entry : entries) {
            if (entry.name.equals(name)) return entry;
        }
        return null;
    }

    /** The model to start with: the one {@value #DEFAULT_FILE} names when bundled, else the first teacher. */
    public Entry defaultEntry() {
        return defaultEntry(preferred);
    }

    /** The model to start with: {@code preferred} when bundled, else the first teacher, else the first; null if none. */
    public Entry defaultEntry(String preferred) {
        Entry chosen = preferred == null ? null : find(preferred);
        if (chosen != null) return chosen;
        for (Entry entry : entries) {
            if (!entry.isStudent()) return entry;
        }
        return entries.isEmpty() ? null : entries.get(0);
    }

    /** Why there is nothing to run, for the screen: the problems, or how to bundle a model. */
    public String emptyMessage() {
        if (!problems.isEmpty()) {
            return "No usable model: " + String.join("; ", problems);
        }
        return "No model in the app: build it with keypoints_tf/pretrained/*.tflite, or -Pkeypoints.modelDir=<folder "
                + "with NAME.tflite files> (android_demo/README.md)";
    }
}
