package com.keypointstf.demo

import android.content.Context
import android.util.Log
import androidx.camera.core.ImageProxy
import com.keypointstf.core.CropSettings
import com.keypointstf.core.CropTracker
import com.keypointstf.core.Frame
import com.keypointstf.core.FrameRateMeter
import com.keypointstf.core.FrameTransforms
import com.keypointstf.core.ModelCatalog
import com.keypointstf.core.PoseSmoother
import com.keypointstf.core.SerialExecutor
import com.keypointstf.core.TravelSides
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/** What [KeypointDetectorHelper] publishes: the bundled models, the loaded one, the latest detection, the rate. */
data class DetectorState(
    /** The bundled models; null until read. */
    val catalog: ModelCatalog? = null,
    /** The model in use; null while loading or when none could be loaded. */
    val model: ModelCatalog.Entry? = null,
    /** The accelerator actually in use; null while loading or when no model could be loaded. */
    val accelerator: Accelerator? = null,
    /** The crop rule and drawing threshold for this model (its calibration, or the user's threshold). */
    val settings: CropSettings = CropSettings.DEFAULT,
    val detection: Detection? = null,
    val framesPerSecond: Double = 0.0,
    val error: String? = null,
)

/**
 * Owns the [KeypointDetector] on one thread: reading the bundled models, loading, inference and closing all
 * run on [executor] (core [SerialExecutor]), which is also CameraX's analyzer executor, so the model (and a
 * GPU context) never sees another thread, and frames that arrive after [close] are dropped, not thrown at.
 *
 * Each analysed frame is cut to the preview's field of view and rotated upright (core [FrameTransforms]),
 * cropped around the person tracked from the previous frames (core [CropTracker]), detected, given its left and
 * right from the direction the person walks (core [TravelSides]), smoothed with One-Euro filters (core
 * [PoseSmoother]) and published in [state] with the frame rate.
 */
class KeypointDetectorHelper(
    private val context: Context,
    private val createDetector: (Context, ModelCatalog.Entry, Accelerator) -> KeypointDetector =
        { appContext, model, accelerator -> LiteRtKeypointDetector.create(appContext, model, accelerator) },
) : AutoCloseable {

    val executor = SerialExecutor("keypoint-detector")

    private val mutableState = MutableStateFlow(DetectorState())
    val state: StateFlow<DetectorState> = mutableState.asStateFlow()

    // Confined to [executor].
    private var catalog: ModelCatalog? = null
    private var detector: KeypointDetector? = null
    private var smoother: PoseSmoother? = null
    private var travelSides: TravelSides? = null
    private var tracker: CropTracker? = null
    private var trackedLensFacing: Int? = null
    private val frameRate = FrameRateMeter(FPS_SMOOTHING)

    /**
     * (Re)loads the model named [modelName] (null: the build's default) on [accelerator], with [threshold]
     * instead of the model's calibrated one when given. A GPU that fails falls back to the CPU with a message.
     */
    fun load(modelName: String?, accelerator: Accelerator, threshold: Double?) {
        executor.execute {
            closeDetector()
            val models = catalog ?: LiteRtKeypointDetector.catalog(context.assets).also { catalog = it }
            val model = (if (modelName != null) models.find(modelName) else null) ?: models.defaultEntry()
            mutableState.value = DetectorState(catalog = models)
            if (model == null) {
                mutableState.value = DetectorState(catalog = models, error = models.emptyMessage())
                return@execute
            }
            val requested = runCatching { createDetector(context, model, accelerator) }
            val fallback = if (requested.isFailure && accelerator != Accelerator.CPU) {
                runCatching { createDetector(context, model, Accelerator.CPU) }
            } else {
                null
            }
            val active = requested.getOrNull() ?: fallback?.getOrNull()
            val error = requested.exceptionOrNull()?.let { e ->
                Log.e(TAG, "Cannot load ${model.file} on $accelerator", e)
                if (active != null) "$accelerator unavailable (${e.message}); running on ${active.accelerator}"
                else "Cannot load ${model.name}: " + ((fallback?.exceptionOrNull() ?: e).message ?: e.toString())
            }
            val calibrated = CropSettings.forContract(model.contract)
            val settings = if (threshold != null) calibrated.withThreshold(threshold) else calibrated
            detector = active
            smoother = active?.let {
                PoseSmoother(it.contract.numKeypoints(), MIN_CUTOFF_HZ, BETA, DERIVATIVE_CUTOFF_HZ, settings.threshold.toFloat())
            }
            travelSides = active?.let { a -> a.contract.skeleton.takeIf { TravelSides.supports(it) }?.let { TravelSides(it) } }
            tracker = CropTracker(settings)
            frameRate.reset()
            mutableState.value = DetectorState(
                catalog = models, model = if (active != null) model else null, accelerator = active?.accelerator,
                settings = settings, error = error,
            )
        }
    }

    /** Forgets the tracked person, the smoothing history and the frame rate (camera switched). */
    fun resetTracking() {
        executor.execute {
            forgetTrack()
            mutableState.update { it.copy(detection = null, framesPerSecond = 0.0) }
        }
    }

    /**
     * The CameraX analyzer body for frames of the camera facing [lensFacing]; CameraX calls it on [executor].
     * Always closes [image].
     */
    fun analyze(image: ImageProxy, lensFacing: Int) {
        val active = detector
        if (active == null || executor.isClosed) { // still loading, no model, or closing
            image.close()
            return
        }
        val timestampSeconds = image.imageInfo.timestamp / 1e9
        val frame = image.use { it.toUprightFrame() }
        if (lensFacing != trackedLensFacing) { // the first frame of another camera: nothing carries over
            forgetTrack()
            trackedLensFacing = lensFacing
        }
        try {
            val tracker = tracker ?: return
            val region = tracker.region(frame.width, frame.height)
            val found = active.detect(region?.crop(frame) ?: frame)
            val framePose = region?.toFrame(found.pose) ?: found.pose
            tracker.update(framePose, frame.width, frame.height)
            // Sides before smoothing, which would blend a left with a right.
            val sided = travelSides?.orient(framePose, timestampSeconds) ?: framePose
            val pose = smoother?.smooth(sided, timestampSeconds) ?: sided
            val framesPerSecond = frameRate.tick(timestampSeconds)
            val detection = found.copy(
                pose = pose, frameWidth = frame.width, frameHeight = frame.height, lensFacing = lensFacing, crop = region,
            )
            mutableState.update { it.copy(detection = detection, framesPerSecond = framesPerSecond) }
        } catch (e: Exception) {
            Log.e(TAG, "Inference failed", e)
            mutableState.update { it.copy(error = "Inference failed: ${e.message}") }
        }
    }

    /** Closes the model after the frames already queued; frames that come later are dropped. */
    override fun close() {
        executor.close { closeDetector() }
    }

    private fun forgetTrack() {
        tracker?.reset()
        smoother?.reset()
        travelSides?.reset()
        frameRate.reset()
    }

    private fun closeDetector() {
        detector?.close()
        detector = null
        smoother = null
        travelSides = null
        tracker = null
    }

    companion object {
        private const val TAG = "KeypointDetectorHelper"

        // One-Euro filter (Casiez et al. 2012) on frame-pixel coordinates; timestamps in seconds.
        const val MIN_CUTOFF_HZ = 1.0
        const val BETA = 0.05
        const val DERIVATIVE_CUTOFF_HZ = 1.0
        private const val FPS_SMOOTHING = 0.1
    }
}

/**
 * RGBA_8888 analysis image -> upright ARGB [Frame]: cut to its crop rect (the field of view the preview shows,
 * set by the ViewPort) and rotated by the image's rotationDegrees. `toBitmap` applies neither.
 */
private fun ImageProxy.toUprightFrame(): Frame {
    val bitmap = toBitmap()
    val pixels = IntArray(bitmap.width * bitmap.height)
    bitmap.getPixels(pixels, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
    val frame = Frame(pixels, bitmap.width, bitmap.height)
    bitmap.recycle()
    val visible = FrameTransforms.cut(frame, cropRect.left, cropRect.top, cropRect.width(), cropRect.height())
    return FrameTransforms.rotate(visible, imageInfo.rotationDegrees)
}
