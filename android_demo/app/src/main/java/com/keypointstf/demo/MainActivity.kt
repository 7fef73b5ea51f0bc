package com.keypointstf.demo

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.Color
import android.hardware.display.DisplayManager
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.util.Log
import android.view.Menu
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.PopupMenu
import android.widget.RadioGroup
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.UseCaseGroup
import androidx.camera.core.resolutionselector.AspectRatioStrategy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import androidx.core.view.ViewCompat
import androidx.core.view.WindowInsetsCompat
import androidx.core.view.doOnLayout
import androidx.core.view.updateLayoutParams
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import com.keypointstf.core.CropSettings
import com.keypointstf.core.DisplayRotation
import com.keypointstf.core.LensFacing
import com.keypointstf.demo.view.SkeletonOverlayView
import java.util.Locale
import kotlinx.coroutines.launch

/**
 * Camera preview with the detected skeleton on top. CameraX gives RGBA_8888 frames (keep-only-latest) to
 * [KeypointDetectorHelper.analyze]; the overlay draws the latest detection mapped to the preview.
 *
 * Preview and analysis share the PreviewView's ViewPort (one UseCaseGroup), so the frames analysed are the
 * field of view on screen; their target rotation follows the display (core [DisplayRotation]), which a
 * 180-degree turn changes without recreating this Activity.
 */
class MainActivity : ComponentActivity() {

    private val viewModel: MainViewModel by viewModels()

    private lateinit var previewView: PreviewView
    private lateinit var overlay: SkeletonOverlayView
    private lateinit var stats: TextView

    private var hasCameraPermission = false
    private var boundLensFacing: Int? = null
    private var preview: Preview? = null
    private var analysis: ImageAnalysis? = null
    private val displayRotation = DisplayRotation()

    private val requestCameraPermission =
        registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            hasCameraPermission = granted
            viewModel.setPermissionDenied(!granted)
            if (granted) bindCamera(viewModel.uiState.value.lensFacing)
        }

    private val displayListener = object : DisplayManager.DisplayListener {
        override fun onDisplayAdded(displayId: Int) = Unit
        override fun onDisplayRemoved(displayId: Int) = Unit
        override fun onDisplayChanged(displayId: Int) {
            val display = previewView.display ?: return
            if (display.displayId != displayId) return
            val rotation = displayRotation.onDisplayRotation(display.rotation)
            if (rotation != DisplayRotation.UNCHANGED) {
                preview?.targetRotation = rotation
                analysis?.targetRotation = rotation
            }
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        previewView = findViewById(R.id.preview)
        // The overlay maps frames with ViewTransform.ScaleMode.FILL, which is what FILL_CENTER shows.
        previewView.scaleType = PreviewView.ScaleType.FILL_CENTER
        overlay = findViewById(R.id.overlay)
        stats = findViewById(R.id.stats)
        applyInsets(findViewById(R.id.root), stats, findViewById(R.id.controls))

        findViewById<Button>(R.id.switch_camera).setOnClickListener { viewModel.switchCamera() }
        findViewById<Button>(R.id.model_menu).setOnClickListener { showModelMenu(it) }
        findViewById<RadioGroup>(R.id.accelerator).setOnCheckedChangeListener { _, checkedId ->
            viewModel.selectAccelerator(if (checkedId == R.id.accelerator_gpu) Accelerator.GPU else Accelerator.CPU)
        }

        hasCameraPermission = ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) ==
            PackageManager.PERMISSION_GRANTED
        if (hasCameraPermission) {
            viewModel.setPermissionDenied(false) // granted in the settings since it was denied
        } else {
            requestCameraPermission.launch(Manifest.permission.CAMERA)
        }

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                viewModel.uiState.collect { render(it) }
            }
        }
    }

    override fun onStart() {
        super.onStart()
        getSystemService(DisplayManager::class.java).registerDisplayListener(displayListener, Handler(Looper.getMainLooper()))
    }

    override fun onStop() {
        getSystemService(DisplayManager::class.java).unregisterDisplayListener(displayListener)
        super.onStop()
    }

    override fun onDestroy() {
        analysis?.clearAnalyzer() // no more frames for the helper, which outlives this Activity
        super.onDestroy()
    }

    private fun render(state: UiState) {
        if (hasCameraPermission && state.lensFacing != boundLensFacing) {
            bindCamera(state.lensFacing)
        }
        overlay.show(state.detector.model?.contract?.skeleton, state.detector.detection, state.detector.settings.threshold)
        val status = state.status()
        stats.text = status.text()
        stats.setTextColor(if (status.isError()) ERROR_TEXT_COLOR else Color.WHITE)
    }

    /** Keeps the status text and the controls clear of the status bar, navigation bar and cut-out. */
    private fun applyInsets(root: View, top: View, bottom: View) {
        val margin = (12 * resources.displayMetrics.density).toInt()
        val controlsMargin = (24 * resources.displayMetrics.density).toInt()
        ViewCompat.setOnApplyWindowInsetsListener(root) { _, insets ->
            val bars = insets.getInsets(WindowInsetsCompat.Type.systemBars() or WindowInsetsCompat.Type.displayCutout())
            top.updateLayoutParams<ViewGroup.MarginLayoutParams> {
                setMargins(margin + bars.left, margin + bars.top, margin + bars.right, margin)
            }
            bottom.updateLayoutParams<ViewGroup.MarginLayoutParams> { bottomMargin = controlsMargin + bars.bottom }
            insets
        }
    }

    /** Bundled models (teacher / student) and the threshold; the accelerator has its own buttons. */
    private fun showModelMenu(anchor: View) {
        val state = viewModel.uiState.value
        val menu = PopupMenu(this, anchor)
        val entries = state.detector.catalog?.entries().orEmpty()
        entries.forEachIndexed { i, entry ->
            menu.menu.add(MODEL_GROUP, i, i, entry.label()).isChecked = entry.name == state.detector.model?.name
        }
        menu.menu.setGroupCheckable(MODEL_GROUP, true, true)
        val thresholds = menu.menu.addSubMenu(Menu.NONE, Menu.NONE, entries.size, R.string.threshold_menu)
        val own = state.detector.model?.let { CropSettings.forContract(it.contract).threshold } ?: CropSettings.DEFAULT.threshold
        thresholds.add(THRESHOLD_GROUP, THRESHOLD_OWN, 0, getString(R.string.threshold_model, own))
            .isChecked = state.threshold == null
        THRESHOLDS.forEachIndexed { i, value ->
            thresholds.add(THRESHOLD_GROUP, i, i + 1, String.format(Locale.US, "%.2f", value))
                .isChecked = state.threshold == value
        }
        thresholds.setGroupCheckable(THRESHOLD_GROUP, true, true)
        menu.setOnMenuItemClickListener { item ->
            when (item.groupId) {
                MODEL_GROUP -> viewModel.selectModel(entries[item.itemId].name)
                THRESHOLD_GROUP ->
                    viewModel.selectThreshold(if (item.itemId == THRESHOLD_OWN) null else THRESHOLDS[item.itemId])
            }
            true
        }
        menu.show()
    }

    private fun bindCamera(lensFacing: Int) {
        boundLensFacing = lensFacing
        previewView.doOnLayout { // the ViewPort needs the view's size
            val providerFuture = ProcessCameraProvider.getInstance(this)
            providerFuture.addListener({ bindUseCases(providerFuture.get(), lensFacing) }, ContextCompat.getMainExecutor(this))
        }
    }

    private fun bindUseCases(provider: ProcessCameraProvider, lensFacing: Int) {
        val viewPort = previewView.viewPort ?: return
        // Same aspect ratio for preview and analysis; the ViewPort then gives both the crop the screen shows.
        val resolution = ResolutionSelector.Builder()
            .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
            .build()
        val rotation = previewView.display?.rotation ?: viewPort.rotation
        val newPreview = Preview.Builder().setResolutionSelector(resolution).setTargetRotation(rotation).build()
        newPreview.setSurfaceProvider(previewView.surfaceProvider)
        val newAnalysis = ImageAnalysis.Builder()
            .setResolutionSelector(resolution)
            .setTargetRotation(rotation)
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
            .build()
        val helper = viewModel.helper
        // The camera facing is bound with the analyzer: every frame carries its own camera's (mirroring).
        newAnalysis.setAnalyzer(helper.executor) { image -> helper.analyze(image, lensFacing) }
        val group = UseCaseGroup.Builder().setViewPort(viewPort).addUseCase(newPreview).addUseCase(newAnalysis).build()
        val cameraFacing = if (lensFacing == LensFacing.FRONT) CameraSelector.LENS_FACING_FRONT else CameraSelector.LENS_FACING_BACK
        val selector = CameraSelector.Builder().requireLensFacing(cameraFacing).build()
        try {
            provider.unbindAll()
            provider.bindToLifecycle(this, selector, group)
            preview = newPreview
            analysis = newAnalysis
            displayRotation.reset()
            displayRotation.onDisplayRotation(rotation)
            viewModel.setCameraError(null)
        } catch (e: Exception) { // no camera facing that way, or the camera is in use
            Log.e(TAG, "Cannot open the camera", e)
            viewModel.setCameraError("Cannot open the ${LensFacing.name(lensFacing)} camera: ${e.message}")
        }
    }

    private companion object {
        const val TAG = "MainActivity"
        const val ERROR_TEXT_COLOR = 0xFFFF8A80.toInt()
        const val MODEL_GROUP = 1
        const val THRESHOLD_GROUP = 2
        const val THRESHOLD_OWN = 100
        val THRESHOLDS = listOf(0.05, 0.1, 0.2, 0.3, 0.5)
    }
}
