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

/**
 * Draws a [Detection] over the camera preview: skeleton edges coloured by side (left blue, right orange,
 * centre grey, the subject's own sides), a dot per keypoint above the confidence threshold, and the person
 * crop the model saw as a thin grey square (none when it saw the whole frame; the status text says so).
 *
 * Frame pixels map to the view like PreviewView's FILL_CENTER (core [ViewTransform.forCameraFrame]),
 * mirrored when the frame came from a front camera: the detection's own camera, not the one just chosen.
 */
class SkeletonOverlayView @JvmOverloads constructor(
    context: Context,
    attrs: AttributeSet? = null,
) : View(context, attrs) {

    private var skeleton: Skeleton? = null
    private var detection: Detection? = null
    private var threshold = 0.3f

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
    private val cropPaint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        style = Paint.Style.STROKE
        strokeWidth = 1f * density
        color = 0x99A0A0A0.toInt()
    }

    fun show(skeleton: Skeleton?, detection: Detection?, threshold: Double) {
        this.skeleton = skeleton
        this.detection = detection
        this.threshold = threshold.toFloat()
        invalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val skeleton = skeleton ?: return
        val detection = detection ?: return
        if (width == 0 || height == 0) return
        val toView = ViewTransform.forCameraFrame(
            detection.frameWidth, detection.frameHeight, detection.lensFacing, width.toFloat(), height.toFloat(),
        )
        detection.crop?.let { crop ->
            val corners = toView.apply(floatArrayOf(
                crop.x0.toFloat(), crop.y0.toFloat(),
                (crop.x0 + crop.squareSide).toFloat(), (crop.y0 + crop.squareSide).toFloat(),
            ))
            canvas.drawRect(minOf(corners[0], corners[2]), corners[1], maxOf(corners[0], corners[2]), corners[3], cropPaint)
        }
        val pose = toView.apply(detection.pose)
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
