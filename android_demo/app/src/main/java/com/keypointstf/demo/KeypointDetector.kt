package com.keypointstf.demo

import com.keypointstf.core.CropRegion
import com.keypointstf.core.Frame
import com.keypointstf.core.LensFacing
import com.keypointstf.core.ModelContract
import com.keypointstf.core.Pose

/** Where the model runs. */
enum class Accelerator { CPU, GPU }

/** One keypoint in frame pixels: x right, y down, origin at the frame's top-left corner. */
data class Keypoint(val name: String, val x: Float, val y: Float, val confidence: Float)

/**
 * The keypoints found in one upright frame.
 *
 * @property pose keypoints in frame pixels with their confidences (core [Pose], what the overlay maps)
 * @property inferenceTimeMs the model run alone
 * @property totalTimeMs pre-processing + model run + post-processing
 * @property lensFacing the camera that took the frame (core [LensFacing]): the overlay mirrors by it
 * @property crop the person crop the model saw (core [CropRegion]), or null for the whole frame
 */
data class Detection(
    val pose: Pose,
    val keypointNames: List<String>,
    val frameWidth: Int,
    val frameHeight: Int,
    val inferenceTimeMs: Double,
    val totalTimeMs: Double,
    val lensFacing: Int = LensFacing.BACK,
    val crop: CropRegion? = null,
) {
    val keypoints: List<Keypoint>
        get() = keypointNames.mapIndexed { i, name -> Keypoint(name, pose.x(i), pose.y(i), pose.confidence(i)) }
}

/**
 * Finds keypoints in upright frames with the model described by [contract].
 *
 * Not thread-safe: create, use and close it on one thread ([KeypointDetectorHelper.executor] in the app).
 */
interface KeypointDetector : AutoCloseable {
    val contract: ModelContract
    val accelerator: Accelerator

    /** Keypoints of [frame] (ARGB pixels, already rotated upright) in its pixel coordinates. */
    fun detect(frame: Frame): Detection
}
