// Android demo for keypoints_tf: an app module (camera, LiteRT, drawing) and a pure-Java core module
// (contract, transforms, smoothing) that the JVM tests in run_jvm_tests.sh exercise without Android.
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "keypoints-android-demo"
include(":app", ":core")
