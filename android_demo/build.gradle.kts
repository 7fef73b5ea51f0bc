// Top-level build file: plugin versions come from gradle/libs.versions.toml; modules apply them.
plugins {
    alias(libs.plugins.android.application) apply false
    // AGP 9 compiles Kotlin itself ("built-in Kotlin") with the Kotlin Gradle plugin on the build classpath,
    // 2.2.10 by default. Declaring the newer KGP here (never applying it: AGP 9 fails a module that applies
    // org.jetbrains.kotlin.android) makes the build use its compiler. The documented alternative is
    // buildscript { dependencies { classpath("org.jetbrains.kotlin:kotlin-gradle-plugin:<version>") } }.
    alias(libs.plugins.kotlin.android) apply false
}
