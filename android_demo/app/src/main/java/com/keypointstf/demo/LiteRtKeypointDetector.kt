package com.keypointstf.demo

import android.content.Context
import android.content.res.AssetManager
import android.os.SystemClock
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.TensorBuffer
import com.keypointstf.core.Frame
import com.keypointstf.core.ModelCatalog
import com.keypointstf.core.ModelContract
import com.keypointstf.core.Postprocessor
import com.keypointstf.core.Preprocessor
import com.google.ai.edge.litert.Accelerator as LiteRtAccelerator

/**
 * [KeypointDetector] on LiteRT's CompiledModel API, for one bundled model (`models/NAME.tflite` in the assets,
 * listed by [catalog]).
 *
 * Pre- and post-processing are the core's ([Preprocessor], [Postprocessor]); this class only moves tensors
 * in and out of the "serving_default" signature: input [ModelContract.inputName] (uint8 or float32
 * [1, S, S, 3]), outputs `keypoints` [1, K, 2] and `confidence` [1, K], both float32.
 */
class LiteRtKeypointDetector private constructor(
    override val contract: ModelContract,
    override val accelerator: Accelerator,
    private val model: CompiledModel,
) : KeypointDetector {

    // === Tensors ===
    private val preprocessor = Preprocessor(contract)
    private val postprocessor = Postprocessor(contract)
    private val input: TensorBuffer = model.createInputBuffer(contract.inputName, SIGNATURE)
    private val keypointsOutput: TensorBuffer = model.createOutputBuffer(KEYPOINTS_OUTPUT, SIGNATURE)
    private val confidenceOutput: TensorBuffer = model.createOutputBuffer(CONFIDENCE_OUTPUT, SIGNATURE)
    private val inputs = mapOf(contract.inputName to input)
    private val outputs = mapOf(KEYPOINTS_OUTPUT to keypointsOutput, CONFIDENCE_OUTPUT to confidenceOutput)

    override fun detect(frame: Frame): Detection {
        val start = SystemClock.elapsedRealtimeNanos()
        val tensor = preprocessor.process(frame)
        val uint8 = tensor.uint8
        if (uint8 != null) {
            input.writeInt8(uint8) // raw bytes: a uint8 tensor holds the same bits
        } else {
            input.writeFloat(tensor.float32)
        }
        val runStart = SystemClock.elapsedRealtimeNanos()
        model.run(inputs, outputs, SIGNATURE)
        val runEnd = SystemClock.elapsedRealtimeNanos()
        val pose = postprocessor.toFramePose(keypointsOutput.readFloat(), confidenceOutput.readFloat(), tensor.letterbox)
        val end = SystemClock.elapsedRealtimeNanos()
        return Detection(
            pose = pose,
            keypointNames = contract.skeleton.keypointNames,
            frameWidth = frame.width,
            frameHeight = frame.height,
            inferenceTimeMs = (runEnd - runStart) / 1e6,
            totalTimeMs = (end - start) / 1e6,
        )
    }

    override fun close() {
        input.close()
        keypointsOutput.close()
        confidenceOutput.close()
        model.close()
    }

    companion object {
        /** The asset folder the build fills from keypoints_tf/pretrained or -Pkeypoints.modelDir. */
        const val MODELS_FOLDER = "models"
        const val SIGNATURE = "serving_default"
        const val KEYPOINTS_OUTPUT = "keypoints"
        const val CONFIDENCE_OUTPUT = "confidence"

        /** Loads a bundled [model] on [accelerator]; throws if the model or the accelerator fails. */
        fun create(context: Context, model: ModelCatalog.Entry, accelerator: Accelerator): LiteRtKeypointDetector {
            val liteRtAccelerator = when (accelerator) {
                Accelerator.CPU -> LiteRtAccelerator.CPU
                Accelerator.GPU -> LiteRtAccelerator.GPU
            }
            val compiled = CompiledModel.create(
                context.assets, "$MODELS_FOLDER/${model.file}", CompiledModel.Options(liteRtAccelerator), null)
            try {
                return LiteRtKeypointDetector(model.contract, accelerator, compiled)
            } catch (e: Exception) {
                compiled.close()
                throw e
            }
        }

        /** The bundled models and their contracts (core [ModelCatalog]: NAME.tflite + embedded or paired contract). */
        fun catalog(assets: AssetManager): ModelCatalog {
            val names = assets.list(MODELS_FOLDER)?.toList().orEmpty()
            return ModelCatalog.load(names) { name -> assets.open("$MODELS_FOLDER/$name").use { it.readBytes() } }
        }
    }
}
