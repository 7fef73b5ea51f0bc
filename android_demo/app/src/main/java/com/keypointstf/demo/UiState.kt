package com.keypointstf.demo

import androidx.camera.core.CameraSelector
import java.util.Locale

/** Everything the screen shows: camera and accelerator choices, and the detector's latest state. */
data class UiState(
    val lensFacing: Int = CameraSelector.LENS_FACING_BACK,
    val requestedAccelerator: Accelerator = Accelerator.CPU,
    val detector: DetectorState = DetectorState(),
) {
    /** The front camera's preview is mirrored, so the overlay is too. */
    val mirrored: Boolean
        get() = lensFacing == CameraSelector.LENS_FACING_FRONT

    /** The text in the corner: accelerator, model, inference time, frame rate, and any error. */
    fun statsText(): String {
        val lines = mutableListOf<String>()
        val contract = detector.contract
        val accelerator = detector.accelerator
        if (contract == null || accelerator == null) {
            lines += if (detector.error == null) "Loading model on $requestedAccelerator…" else "No model loaded"
        } else {
            lines += "$accelerator · ${contract.skeleton.name} · ${contract.inputSize} px input"
            detector.detection?.let {
                lines += String.format(Locale.US, "inference %.1f ms (with pre/post %.1f ms)", it.inferenceTimeMs, it.totalTimeMs)
            }
            lines += String.format(Locale.US, "%.1f FPS", detector.framesPerSecond)
        }
        detector.error?.let { lines += it }
        return lines.joinToString("\n")
    }
}
