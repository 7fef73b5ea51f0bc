package com.keypointstf.demo

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.Color
import android.os.Bundle
import android.util.Log
import android.widget.Button
import android.widget.RadioGroup
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.AspectRatioStrategy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import com.keypointstf.demo.view.SkeletonOverlayView
import kotlinx.coroutines.launch

/**
 * Camera preview with the detected skeleton on top. CameraX gives RGBA_8888 frames (keep-only-latest) to
 * [KeypointDetectorHelper.analyze]; the overlay draws the latest detection mapped to the preview.
 */
class MainActivity : ComponentActivity() {

    private val viewModel: MainViewModel by viewModels()

    private lateinit var previewView: PreviewView
    private lateinit var overlay: SkeletonOverlayView
    private lateinit var stats: TextView

    private var hasCameraPermission = false
    private var boundLensFacing: Int? = null

    private val requestCameraPermission =
        registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            hasCameraPermission = granted
            if (granted) {
                bindCamera(viewModel.uiState.value.lensFacing)
            } else {
                stats.setText(R.string.camera_permission_denied)
            }
        }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        previewView = findViewById(R.id.preview)
        // The overlay maps frames with ViewTransform.ScaleMode.FILL, which is what FILL_CENTER shows.
        previewView.scaleType = PreviewView.ScaleType.FILL_CENTER
        overlay = findViewById(R.id.overlay)
        stats = findViewById(R.id.stats)

        findViewById<Button>(R.id.switch_camera).setOnClickListener { viewModel.switchCamera() }
        findViewById<RadioGroup>(R.id.accelerator).setOnCheckedChangeListener { _, checkedId ->
            viewModel.selectAccelerator(if (checkedId == R.id.accelerator_gpu) Accelerator.GPU else Accelerator.CPU)
        }

        hasCameraPermission = ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) ==
            PackageManager.PERMISSION_GRANTED
        if (!hasCameraPermission) {
            requestCameraPermission.launch(Manifest.permission.CAMERA)
        }

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                viewModel.uiState.collect { render(it) }
            }
        }
    }

    private fun render(state: UiState) {
        if (hasCameraPermission && state.lensFacing != boundLensFacing) {
            bindCamera(state.lensFacing)
        }
        overlay.show(state.detector.contract?.skeleton, state.detector.detection, state.mirrored)
        stats.text = state.statsText()
        stats.setTextColor(if (state.detector.error != null) ERROR_TEXT_COLOR else Color.WHITE)
    }

    private fun bindCamera(lensFacing: Int) {
        boundLensFacing = lensFacing
        val providerFuture = ProcessCameraProvider.getInstance(this)
        providerFuture.addListener({
            val provider = providerFuture.get()
            // Same aspect ratio for preview and analysis, so both see the same field of view.
            val resolution = ResolutionSelector.Builder()
                .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                .build()
            val preview = Preview.Builder().setResolutionSelector(resolution).build()
            preview.setSurfaceProvider(previewView.surfaceProvider)
            val analysis = ImageAnalysis.Builder()
                .setResolutionSelector(resolution)
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                .build()
            val helper = viewModel.helper
            analysis.setAnalyzer(helper.executor) { image -> helper.analyze(image) }
            val selector = CameraSelector.Builder().requireLensFacing(lensFacing).build()
            try {
                provider.unbindAll()
                provider.bindToLifecycle(this, selector, preview, analysis)
            } catch (e: Exception) { // no camera facing that way, or the camera is in use
                Log.e(TAG, "Cannot open the camera", e)
                val which = if (lensFacing == CameraSelector.LENS_FACING_FRONT) "front" else "back"
                stats.text = "Cannot open the $which camera: ${e.message}"
                stats.setTextColor(ERROR_TEXT_COLOR)
            }
        }, ContextCompat.getMainExecutor(this))
    }

    private companion object {
        const val TAG = "MainActivity"
        const val ERROR_TEXT_COLOR = 0xFFFF8A80.toInt()
    }
}
