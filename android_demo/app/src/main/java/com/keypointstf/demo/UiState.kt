package com.keypointstf.demo

import com.keypointstf.core.LensFacing
import com.keypointstf.core.StatusText

/**
 * Everything the screen shows: the user's choices, what went wrong with the camera, and the detector's state.
 *
 * @property modelName the chosen bundled model (NAME of NAME.tflite); null: the build's default
 * @property threshold the chosen drawing threshold; null: the model's calibrated one
 */
data class UiState(
    val lensFacing: Int = LensFacing.BACK,
    val requestedAccelerator: Accelerator = Accelerator.CPU,
    val modelName: String? = null,
    val threshold: Double? = null,
    val permissionDenied: Boolean = false,
    val cameraError: String? = null,
    val detector: DetectorState = DetectorState(),
) {
    /**
     * The text in the corner (core [StatusText]: a denied permission or a camera error is never overwritten by
     * the figures, and an empty screen says why).
     */
    fun status(): StatusText {
        val status = StatusText().permissionDenied(permissionDenied).cameraError(cameraError).modelError(detector.error)
        val model = detector.model
        val accelerator = detector.accelerator
        if (model == null || accelerator == null) {
            return status.loading(modelName ?: "the model", requestedAccelerator.name)
        }
        status.model(accelerator.name, model.label())
        detector.detection?.let {
            status.timing(it.inferenceTimeMs, it.totalTimeMs, detector.framesPerSecond)
                .pose(it.pose, detector.settings.threshold)
                .tracking(it.crop != null)
        }
        return status
    }
}
