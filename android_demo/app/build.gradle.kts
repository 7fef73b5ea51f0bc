// The camera app: CameraX frames -> core pre-processing -> LiteRT -> core post-processing -> overlay.
// Kotlin is compiled by AGP 9's built-in Kotlin support (no kotlin-android plugin).
plugins {
    alias(libs.plugins.android.application)
}

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

// === Model and golden files from the Python export (no hand-placed binaries in git) ===

/**
 * Copies [fileNames] from [sourceDir] into [destinationDir]. When the source lacks them but the destination
 * already has them (copied earlier), it keeps those; otherwise it fails with [hint].
 */
abstract class CopyExportedFiles : DefaultTask() {
    @get:Input abstract val sourcePath: Property<String>
    @get:Input abstract val fileNames: ListProperty<String>
    @get:Input abstract val hint: Property<String>
    @get:OutputDirectory abstract val destinationDir: DirectoryProperty

    init {
        outputs.upToDateWhen { false } // a few MB at most; always take the latest export
    }

    @TaskAction
    fun copy() {
        val source = File(sourcePath.get())
        val destination = destinationDir.get().asFile
        val names = fileNames.get()
        val missing = names.filter { !File(source, it).isFile }
        if (missing.isEmpty()) {
            names.forEach { File(source, it).copyTo(File(destination, it), overwrite = true) }
            logger.lifecycle("Copied ${names.joinToString()} from $source into $destination")
        } else if (names.all { File(destination, it).isFile }) {
            logger.warn("$source lacks ${missing.joinToString()}; keeping the copies already in $destination")
        } else {
            throw GradleException("$source lacks ${missing.joinToString()} and $destination has no copy. ${hint.get()}")
        }
    }
}

fun exportPath(property: String, environment: String, fallback: Provider<String>): Provider<String> {
    val demoDir = rootProject.projectDir // relative paths are relative to android_demo/
    return providers.gradleProperty(property)
        .orElse(providers.environmentVariable(environment))
        .orElse(fallback)
        .map { path -> demoDir.resolve(path).absolutePath }
}

val keypointsModelDir = exportPath("keypoints.modelDir", "KEYPOINTS_MODEL_DIR", provider { "../runs/export" })
val keypointsGoldenDir = exportPath("keypoints.goldenDir", "KEYPOINTS_GOLDEN_DIR", keypointsModelDir)

val copyKeypointsModel by tasks.registering(CopyExportedFiles::class) {
    group = "keypoints"
    description = "Copies model.tflite and contract.json from -Pkeypoints.modelDir into src/main/assets."
    sourcePath = keypointsModelDir
    fileNames = listOf("model.tflite", "contract.json")
    destinationDir = layout.projectDirectory.dir("src/main/assets")
    hint = "Export a model (python export/export_tflite.py ...) and build with -Pkeypoints.modelDir=<export folder> " +
        "(or set keypoints.modelDir in android_demo/gradle.properties, or env KEYPOINTS_MODEL_DIR)."
}

val copyKeypointsGolden by tasks.registering(CopyExportedFiles::class) {
    group = "keypoints"
    description = "Copies the golden files from -Pkeypoints.goldenDir into src/androidTest/assets/golden."
    sourcePath = keypointsGoldenDir
    fileNames = listOf("contract.json", "golden_input.png", "golden.json")
    destinationDir = layout.projectDirectory.dir("src/androidTest/assets/golden")
    hint = "Write them with python export/write_golden.py --out <folder> (the model in src/main/assets must be the " +
        "one they were made with) and pass -Pkeypoints.goldenDir=<folder> (default: keypoints.modelDir)."
}

tasks.named("preBuild") { dependsOn(copyKeypointsModel) }
tasks.matching { it.name.matches(Regex("merge\\w*AndroidTestAssets")) }.configureEach { dependsOn(copyKeypointsGolden) }
