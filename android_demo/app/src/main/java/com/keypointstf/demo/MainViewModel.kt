package com.keypointstf.demo

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import com.keypointstf.core.LensFacing
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.flow.update

/** Holds the user's choices and the [KeypointDetectorHelper], so the model survives screen rotation. */
class MainViewModel(application: Application) : AndroidViewModel(application) {

    val helper = KeypointDetectorHelper(application)

    private val choices = MutableStateFlow(UiState())

    val uiState: StateFlow<UiState> = combine(choices, helper.state) { chosen, detector -> chosen.copy(detector = detector) }
        .stateIn(viewModelScope, SharingStarted.Eagerly, UiState())

    init {
        reload()
    }

    fun switchCamera() {
        choices.update {
            val next = if (it.lensFacing == LensFacing.BACK) LensFacing.FRONT else LensFacing.BACK
            it.copy(lensFacing = next, cameraError = null)
        }
        helper.resetTracking()
    }

    fun selectAccelerator(accelerator: Accelerator) {
        if (choices.value.requestedAccelerator == accelerator) return
        choices.update { it.copy(requestedAccelerator = accelerator) }
        reload()
    }

    /** A bundled model by NAME (the menu's teacher / student entries). */
    fun selectModel(name: String) {
        if (uiState.value.detector.model?.name == name) return
        choices.update { it.copy(modelName = name) }
        reload()
    }

    /** The drawing (and tracking) threshold; null returns to the model's calibrated one. */
    fun selectThreshold(threshold: Double?) {
        if (choices.value.threshold == threshold) return
        choices.update { it.copy(threshold = threshold) }
        reload()
    }

    fun setPermissionDenied(denied: Boolean) {
        choices.update { it.copy(permissionDenied = denied) }
    }

    /** The camera could not be opened (null: it was). */
    fun setCameraError(message: String?) {
        choices.update { it.copy(cameraError = message) }
    }

    private fun reload() {
        val chosen = choices.value
        helper.load(chosen.modelName, chosen.requestedAccelerator, chosen.threshold)
    }

    override fun onCleared() {
        helper.close()
    }
}
