// Pure Java: no android.* imports and no third-party dependencies, so it runs on the JVM as well as on a
// device. Main code sticks to the Java 8 library API (Android minSdk 24); run_jvm_tests.sh checks that.
plugins {
    `java-library`
}

tasks.withType<JavaCompile>().configureEach {
    options.release = 17
}

dependencies {
    testImplementation(libs.junit)
}

tasks.test {
    // The golden folder written by export/write_golden.py (android_demo/run_jvm_tests.sh creates it).
    val goldenDir = providers.environmentVariable("KEYPOINTS_GOLDEN_DIR")
        .orElse(layout.buildDirectory.dir("golden").map { it.asFile.path })
    jvmArgumentProviders.add(CommandLineArgumentProvider { listOf("-Dkeypoints.golden.dir=${goldenDir.get()}") })
    systemProperty("java.awt.headless", "true")
}
