package com.keypointstf.demo

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import com.keypointstf.core.Frame
import com.keypointstf.core.Json
import com.keypointstf.core.Letterbox
import com.keypointstf.core.ModelCatalog
import com.keypointstf.core.ModelContract
import com.keypointstf.core.Pose
import com.keypointstf.core.Postprocessor
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeNoException
import org.junit.Test
import org.junit.runner.RunWith

/**
 * Pins the on-device output to the golden files the Python exporter wrote for one of the bundled models.
 *
 * The golden files (golden_contract.json, golden_input.png, golden.json) are put into this test APK's assets
 * under golden/ by the app module's bundle<Variant>KeypointsGolden task; the model is the bundled
 * `models/NAME.tflite` whose file name golden.json's "model" ends with (write_golden.py --model <it>). The
 * detector runs on the PNG exactly as the app runs on a camera frame (core pre-processing, LiteRT, core
 * post-processing) and every keypoint must land within [CPU_TOLERANCE_PX] of python_keypoints, the same
 * tolerance as the Python golden check and the JVM GoldenTest.
 */
@RunWith(AndroidJUnit4::class)
class KeypointDetectorGoldenTest {

    private val instrumentation = InstrumentationRegistry.getInstrumentation()
    private val appContext = instrumentation.targetContext
    private val testAssets = instrumentation.context.assets

    private val golden: Map<String, Any?> by lazy { Json.parseObject(goldenText("golden.json")) }
    private val goldenContract: ModelContract by lazy {
        ModelContract.fromJson(goldenText("golden_contract.json"), "golden/golden_contract.json")
    }

    /** The bundled model the golden files were written for. */
    private val model: ModelCatalog.Entry by lazy {
        val file = (golden["model"] as String).substringAfterLast('/')
        val catalog = LiteRtKeypointDetector.catalog(appContext.assets)
        catalog.entries().firstOrNull { it.file == file } ?: throw AssertionError(
            "golden.json was written for $file, which is not bundled (bundled: ${catalog.entries().map { it.file }}); " +
                "write the golden files with export/write_golden.py --model <a bundled NAME.tflite>")
    }

    @Test
    fun bundledModelIsTheOneTheGoldenFilesWereMadeWith() {
        val bundled = model.contract
        val message = "${model.file} does not match the golden files' contract: re-export both together"
        assertEquals(message, goldenContract.skeleton.keypointNames, bundled.skeleton.keypointNames)
        assertEquals(message, goldenContract.inputSize, bundled.inputSize)
        assertEquals(message, goldenContract.inputDtype, bundled.inputDtype)
    }

    @Test
    fun postprocessingOfTheRawOutputsMatchesPython() {
        val frame = goldenFrame()
        val raw = golden["raw_outputs"] as Map<*, *>
        val k = goldenContract.numKeypoints()
        val pose = Postprocessor(goldenContract).toFramePose(
            floats(raw["keypoints"], 2 * k), floats(raw["confidence"], k),
            Letterbox.of(frame.width, frame.height, goldenContract.inputSize),
        )
        assertMatchesPython(pose, CPU_TOLERANCE_PX, confidenceTolerance = 1e-6f)
    }

    @Test
    fun cpuDetectionMatchesPython() {
        LiteRtKeypointDetector.create(appContext, model, Accelerator.CPU).use { detector ->
            val detection = detector.detect(goldenFrame())
            assertMatchesPython(detection.pose, CPU_TOLERANCE_PX, CPU_CONFIDENCE_TOLERANCE)
        }
    }

    @Test
    fun gpuDetectionMatchesPython() {
        val detector = try {
            LiteRtKeypointDetector.create(appContext, model, Accelerator.GPU)
        } catch (e: Exception) {
            assumeNoException("no LiteRT GPU accelerator on this device", e)
            return
        }
        detector.use { assertMatchesPython(it.detect(goldenFrame()).pose, GPU_TOLERANCE_PX, GPU_CONFIDENCE_TOLERANCE) }
    }

    // === Helpers ===

    private fun assertMatchesPython(pose: Pose, tolerancePx: Double, confidenceTolerance: Float) {
        val k = goldenContract.numKeypoints()
        val expected = floats(golden["python_keypoints"], 2 * k)
        val expectedConfidence = floats(golden["python_confidence"], k)
        var worst = 0.0
        val report = StringBuilder()
        for (i in 0 until k) {
            val error = maxOf(Math.abs(pose.x(i) - expected[2 * i]), Math.abs(pose.y(i) - expected[2 * i + 1])).toDouble()
            worst = maxOf(worst, error)
            if (error > tolerancePx) {
                report.append("\n  ${goldenContract.skeleton.keypointNames[i]}: device (${pose.x(i)}, ${pose.y(i)}), " +
                    "Python (${expected[2 * i]}, ${expected[2 * i + 1]})")
            }
            assertEquals("confidence of keypoint $i", expectedConfidence[i], pose.confidence(i), confidenceTolerance)
        }
        assertTrue("worst keypoint error $worst px > $tolerancePx px:$report", worst <= tolerancePx)
    }

    private fun goldenText(name: String): String =
        testAssets.open("golden/$name").use { String(it.readBytes(), Charsets.UTF_8) }

    /** golden_input.png as ARGB pixels, decoded without density scaling. */
    private fun goldenFrame(): Frame {
        val options = BitmapFactory.Options().apply {
            inPreferredConfig = Bitmap.Config.ARGB_8888
            inScaled = false
        }
        val bitmap = testAssets.open("golden/${golden["image"]}").use { BitmapFactory.decodeStream(it, null, options) }
            ?: error("cannot decode golden/${golden["image"]}")
        assertEquals("image_width", (golden["image_width"] as Number).toInt(), bitmap.width)
        assertEquals("image_height", (golden["image_height"] as Number).toInt(), bitmap.height)
        val pixels = IntArray(bitmap.width * bitmap.height)
        bitmap.getPixels(pixels, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
        return Frame(pixels, bitmap.width, bitmap.height)
    }

    /** Nested JSON arrays of numbers, flattened; fails unless there are exactly [count]. */
    private fun floats(value: Any?, count: Int): FloatArray {
        val out = ArrayList<Float>()
        fun collect(item: Any?) {
            when (item) {
                is Number -> out += item.toFloat()
                is List<*> -> item.forEach { collect(it) }
                else -> throw AssertionError("expected nested arrays of numbers in golden.json, found $item")
            }
        }
        collect(value)
        assertEquals("number of values", count, out.size)
        return out.toFloatArray()
    }

    private companion object {
        /** Frame pixels, CPU: same as Python's golden check; the core's area filter matches OpenCV's INTER_AREA. */
        const val CPU_TOLERANCE_PX = 0.5
        const val CPU_CONFIDENCE_TOLERANCE = 0.02f
        /** GPU kernels compute in float16. */
        const val GPU_TOLERANCE_PX = 2.0
        const val GPU_CONFIDENCE_TOLERANCE = 0.1f
    }
}
