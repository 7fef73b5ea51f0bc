package com.keypointstf.demo.view

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.util.AttributeSet
import android.view.View
import com.keypointstf.core.Side
import com.keypointstf.core.Skeleton
import com.keypointstf.core.SkeletonSegments
import com.keypointstf.core.ViewTransform
import com.keypointstf.demo.Detection
import com.keypointstf.demo.KeypointDetectorHelper

/**
 * Draws a [Detection] over the camera preview: skeleton edges coloured by side (left blue, right orange,
 * centre grey, the subject's own sides) and a dot per keypoint above the confidence threshold.
 *
 * Frame pixels map to the view like PreviewView's FILL_CENTER (core [ViewTransform], FILL), mirrored for
 * the front camera.
 */
class SkeletonOverlayView @JvmOverloads constructor(
    context: Context,
    attrs: AttributeSet? = null,
) : View(context, attrs) {

    private var skeleton: Skeleton? = null
    private var detection: Detection? = null
    private var mirrored = false

    private val density = resources.displayMetrics.density
    private val edgePaint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        style = Paint.Style.STROKE
        strokeWidth = 4f * density
        strokeCap = Paint.Cap.ROUND
    }
    private val keypointPaint = Paint(Paint.ANTI_ALIAS_FLAG).apply { style = Paint.Style.FILL }
    private val outlinePaint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        style = Paint.Style.STROKE
        strokeWidth = 1.5f * density
        color = Color.BLACK
    }

    fun show(skeleton: Skeleton?, detection: Detection?, mirrored: Boolean) {
        this.skeleton = skeleton
        this.detection = detection
        this.mirrored = mirrored
        invalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val skeleton = skeleton ?: return
        val detection = detection ?: return
        if (width == 0 || height == 0) return
        val toView = ViewTransform.of(
            detection.frameWidth, detection.frameHeight, width.toFloat(), height.toFloat(),
            ViewTransform.ScaleMode.FILL, mirrored,
        )
        val pose = toView.apply(detection.pose)
        val threshold = KeypointDetectorHelper.CONFIDENCE_THRESHOLD
        for (segment in SkeletonSegments.visible(skeleton, pose, threshold)) {
            edgePaint.color = segment.argb()
            canvas.drawLine(segment.x0, segment.y0, segment.x1, segment.y1, edgePaint)
        }
        val radius = 4f * density
        for (k in 0 until pose.numKeypoints()) {
            if (!pose.isVisible(k, threshold)) continue
            keypointPaint.color = (Skeleton.sideOfName(skeleton.keypointNames[k]) ?: Side.CENTER).argb
            canvas.drawCircle(pose.x(k), pose.y(k), radius, keypointPaint)
            canvas.drawCircle(pose.x(k), pose.y(k), radius, outlinePaint)
        }
    }
}
