package com.keypointstf.demo

import android.content.Context
import android.util.Log
import androidx.camera.core.ImageProxy
import com.keypointstf.core.Frame
import com.keypointstf.core.FrameRateMeter
import com.keypointstf.core.FrameTransforms
import com.keypointstf.core.ModelContract
import com.keypointstf.core.PoseSmoother
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/** What [KeypointDetectorHelper] publishes: the loaded model, the latest (smoothed) detection, the rate. */
data class DetectorState(
    val contract: ModelContract? = null,
    /** The accelerator actually in use; null while loading or when no model could be loaded. */
    val accelerator: Accelerator? = null,
    val detection: Detection? = null,
    val framesPerSecond: Double = 0.0,
    val error: String? = null,
)

/**
 * Owns the [KeypointDetector] on one thread: loading, inference and closing all run on [executor], which
 * is also CameraX's analyzer executor, so the model (and a GPU context) never sees another thread.
 *
 * Each analysed frame is rotated upright (core [FrameTransforms]), detected, smoothed with One-Euro
 * filters (core [PoseSmoother]) and published in [state] with the frame rate.
 */
class KeypointDetectorHelper(
    private val context: Context,
    private val createDetector: (Context, Accelerator) -> KeypointDetector =
        { appContext, accelerator -> LiteRtKeypointDetector.create(appContext, accelerator) },
) : AutoCloseable {

    val executor: ExecutorService = Executors.newSingleThreadExecutor { runnable -> Thread(runnable, "keypoint-detector") }

    private val mutableState = MutableStateFlow(DetectorState())
    val state: StateFlow<DetectorState> = mutableState.asStateFlow()

    // Confined to [executor].
    private var detector: KeypointDetector? = null
    private var smoother: PoseSmoother? = null
    private val frameRate = FrameRateMeter(FPS_SMOOTHING)

    /** (Re)loads the model on [accelerator]; a GPU that fails falls back to the CPU with a message. */
    fun load(accelerator: Accelerator) {
        executor.execute {
            closeDetector()
            mutableState.value = DetectorState()
            val requested = runCatching { createDetector(context, accelerator) }
            val fallback = if (requested.isFailure && accelerator != Accelerator.CPU) {
                runCatching { createDetector(context, Accelerator.CPU) }
            } else {
                null
            }
            val active = requested.getOrNull() ?: fallback?.getOrNull()
            val error = requested.exceptionOrNull()?.let { e ->
                Log.e(TAG, "Cannot load the model on $accelerator", e)
                if (active != null) "$accelerator unavailable (${e.message}); running on ${active.accelerator}"
                else (fallback?.exceptionOrNull() ?: e).message ?: e.toString()
            }
            detector = active
            smoother = active?.let {
                PoseSmoother(it.contract.numKeypoints(), MIN_CUTOFF_HZ, BETA, DERIVATIVE_CUTOFF_HZ, CONFIDENCE_THRESHOLD)
            }
            frameRate.reset()
            mutableState.value = DetectorState(contract = active?.contract, accelerator = active?.accelerator, error = error)
        }
    }

    /** Forgets the smoothing history and the frame rate (camera switched). */
    fun resetTracking() {
        executor.execute {
            smoother?.reset()
            frameRate.reset()
            mutableState.update { it.copy(detection = null, framesPerSecond = 0.0) }
        }
    }

    /** The CameraX analyzer body; CameraX calls it on [executor]. Always closes [image]. */
    fun analyze(image: ImageProxy) {
        val active = detector
        if (active == null) { // still loading, or no model
            image.close()
            return
        }
        val timestampSeconds = image.imageInfo.timestamp / 1e9
        val frame = image.use { it.toUprightFrame() }
        try {
            val detection = active.detect(frame)
            val pose = smoother?.smooth(detection.pose, timestampSeconds) ?: detection.pose
            val framesPerSecond = frameRate.tick(timestampSeconds)
            mutableState.update { it.copy(detection = detection.copy(pose = pose), framesPerSecond = framesPerSecond) }
        } catch (e: Exception) {
            Log.e(TAG, "Inference failed", e)
            mutableState.update { it.copy(error = "Inference failed: ${e.message}") }
        }
    }

    override fun close() {
        executor.execute { closeDetector() }
        executor.shutdown()
    }

    private fun closeDetector() {
        detector?.close()
        detector = null
        smoother = null
    }

    companion object {
        private const val TAG = "KeypointDetectorHelper"

        /** Keypoints (and the edges between them) below this confidence are neither smoothed nor drawn. */
        const val CONFIDENCE_THRESHOLD = 0.3f

        // One-Euro filter (Casiez et al. 2012) on frame-pixel coordinates; timestamps in seconds.
        const val MIN_CUTOFF_HZ = 1.0
        const val BETA = 0.05
        const val DERIVATIVE_CUTOFF_HZ = 1.0
        private const val FPS_SMOOTHING = 0.1
    }
}

/** RGBA_8888 analysis image -> upright ARGB [Frame] (rotated by the image's rotationDegrees). */
private fun ImageProxy.toUprightFrame(): Frame {
    val bitmap = toBitmap()
    val pixels = IntArray(bitmap.width * bitmap.height)
    bitmap.getPixels(pixels, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
    val frame = Frame(pixels, bitmap.width, bitmap.height)
    bitmap.recycle()
    return FrameTransforms.rotate(frame, imageInfo.rotationDegrees)
}
