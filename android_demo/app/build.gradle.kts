// The camera app: CameraX frames -> core pre-processing -> LiteRT -> core post-processing -> overlay.
// Kotlin is compiled by AGP 9's built-in Kotlin support (no kotlin-android plugin).
import com.android.build.api.variant.HasDeviceTests

plugins {
    alias(libs.plugins.android.application)
}

// === Where the models and golden files come from ===

/** A folder from -P[property], else env [environment], else [fallback]; relative paths are relative to android_demo/. */
fun keypointsPath(property: String, environment: String, fallback: String): Provider<String> {
    val demoDir = rootProject.projectDir
    return providers.gradleProperty(property)
        .orElse(providers.environmentVariable(environment))
        .orElse(fallback)
        .map { path -> demoDir.resolve(path).absolutePath }
}

// The trained detectors shipped with the Python package (keypoints_tf.list_models()), or any export folder.
val keypointsModelDir = keypointsPath("keypoints.modelDir", "KEYPOINTS_MODEL_DIR", "../keypoints_tf/pretrained")
// export/write_golden.py's folder; run_jvm_tests.sh writes the default one.
val keypointsGoldenDir = keypointsPath("keypoints.goldenDir", "KEYPOINTS_GOLDEN_DIR", "core/build/golden")
// The model the app starts with, NAME of NAME.tflite; when it is not bundled, the first teacher by name.
val keypointsDefaultModel = providers.gradleProperty("keypoints.defaultModel")
    .orElse(providers.environmentVariable("KEYPOINTS_DEFAULT_MODEL"))
    .orElse("people_walk_int8")

android {
    namespace = "com.keypointstf.demo"
    compileSdk = 36

    defaultConfig {
        applicationId = "com.keypointstf.demo"
        minSdk = 24
        targetSdk = 36
        versionCode = 1
        versionName = "1.0"
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    androidResources {
        // Keep the model uncompressed so LiteRT can map it from the APK.
        noCompress += "tflite"
    }
}

dependencies {
    implementation(project(":core"))
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.ktx)
    implementation(libs.androidx.lifecycle.runtime.ktx)
    implementation(libs.androidx.lifecycle.viewmodel.ktx)
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.androidx.camera.core)
    implementation(libs.androidx.camera.camera2)
    implementation(libs.androidx.camera.lifecycle)
    implementation(libs.androidx.camera.view)
    implementation(libs.litert)
    implementation(libs.litert.gpu)

    androidTestImplementation(libs.androidx.test.ext.junit)
    androidTestImplementation(libs.androidx.test.runner)
}

// === Models and golden files, as generated assets (no hand-placed binaries in git, nothing written to src/) ===
//
// Every NAME.tflite (and NAME.contract.json, if any) of the model folder goes into the APK's assets under
// models/, and the golden files into the device test's assets under golden/, through AGP's variant API:
// a generated assets folder per variant (under build/), so the asset merge and lint tasks depend on the
// copy by construction.

/** Copies the files of [sourcePath] matching [patterns] into [outputDir]/[subfolder]; fails with [hint] if there is nothing to copy. */
abstract class CopyKeypointsFiles : DefaultTask() {
    @get:Input abstract val sourcePath: Property<String>
    @get:Input abstract val patterns: ListProperty<String>
    /** Files that must be there (golden files); with none listed, at least one .tflite must (models). */
    @get:Input abstract val required: ListProperty<String>
    @get:Input abstract val subfolder: Property<String>
    /** Written to [subfolder]/default_model.txt when set: the model the app starts with (core ModelCatalog). */
    @get:Input @get:Optional abstract val defaultModel: Property<String>
    @get:Input abstract val hint: Property<String>
    @get:OutputDirectory abstract val outputDir: DirectoryProperty

    init {
        outputs.upToDateWhen { false } // a few MB at most; always take the latest export
    }

    @TaskAction
    fun copy() {
        val source = File(sourcePath.get())
        val target = File(outputDir.get().asFile, subfolder.get())
        outputDir.get().asFile.deleteRecursively()
        target.mkdirs()
        val regexes = patterns.get().map { Regex(it) }
        val files = source.listFiles().orEmpty().filter { file -> file.isFile && regexes.any { it.matches(file.name) } }
        val missing = required.get().filter { name -> files.none { it.name == name } }
        val problem = when {
            !source.isDirectory -> "no such folder"
            missing.isNotEmpty() -> "missing ${missing.joinToString()}"
            required.get().isEmpty() && files.none { it.name.endsWith(".tflite") } -> "no .tflite file"
            else -> null
        }
        if (problem != null) throw GradleException("$source: $problem. ${hint.get()}")
        files.forEach { it.copyTo(File(target, it.name), overwrite = true) }
        if (defaultModel.isPresent) File(target, "default_model.txt").writeText(defaultModel.get())
        logger.lifecycle("Bundled ${files.joinToString { it.name }} from $source into ${subfolder.get()}/")
    }
}

androidComponents {
    onVariants { variant ->
        val suffix = variant.name.replaceFirstChar { it.uppercase() }
        val copyModels = tasks.register<CopyKeypointsFiles>("bundle${suffix}KeypointsModels") {
            group = "keypoints"
            description = "Copies NAME.tflite (+ NAME.contract.json) from the model folder into the assets' models/."
            sourcePath = keypointsModelDir
            patterns = listOf(".+\\.tflite", ".+\\.contract\\.json", "contract\\.json")
            required = emptyList()
            subfolder = "models"
            defaultModel = keypointsDefaultModel
            hint = "Export one (python export/export_tflite.py --output <folder>/NAME.tflite ...) and build with " +
                "-Pkeypoints.modelDir=<folder> or env KEYPOINTS_MODEL_DIR (default: keypoints_tf/pretrained)."
        }
        variant.sources.assets?.addGeneratedSourceDirectory(copyModels, CopyKeypointsFiles::outputDir)
        (variant as? HasDeviceTests)?.deviceTests?.values?.forEach { deviceTest ->
            val copyGolden = tasks.register<CopyKeypointsFiles>("bundle${suffix}KeypointsGolden") {
                group = "keypoints"
                description = "Copies export/write_golden.py's files into the device test's assets' golden/."
                sourcePath = keypointsGoldenDir
                patterns = listOf("golden_contract\\.json", "golden_input\\.png", "golden\\.json")
                required = listOf("golden_contract.json", "golden_input.png", "golden.json")
                subfolder = "golden"
                hint = "Write them with python export/write_golden.py --out <folder> --model <one of the bundled " +
                    "NAME.tflite> and pass -Pkeypoints.goldenDir=<folder> (default android_demo/core/build/golden)."
            }
            deviceTest.sources.assets?.addGeneratedSourceDirectory(copyGolden, CopyKeypointsFiles::outputDir)
        }
    }
}
