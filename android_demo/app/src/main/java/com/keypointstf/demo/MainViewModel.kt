package com.keypointstf.demo

import android.app.Application
import androidx.camera.core.CameraSelector
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
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
        helper.load(choices.value.requestedAccelerator)
    }

    fun switchCamera() {
        choices.update {
            val next = if (it.lensFacing == CameraSelector.LENS_FACING_BACK) {
                CameraSelector.LENS_FACING_FRONT
            } else {
                CameraSelector.LENS_FACING_BACK
            }
            it.copy(lensFacing = next)
        }
        helper.resetTracking()
    }

    fun selectAccelerator(accelerator: Accelerator) {
        if (choices.value.requestedAccelerator == accelerator) return
        choices.update { it.copy(requestedAccelerator = accelerator) }
        helper.load(accelerator)
    }

    override fun onCleared() {
        helper.close()
    }
}
