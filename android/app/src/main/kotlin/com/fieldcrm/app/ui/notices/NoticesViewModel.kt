// Notices: what the server did to this device's work (compensated fields, rejected records,
// records removed from the user's scope, sync errors). Opening the screen marks them seen.
package com.fieldcrm.app.ui.notices

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.Notice
import com.fieldcrm.kit.SyncUpdate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The notice list. */
data class NoticesUiState(val notices: List<Notice> = emptyList(), val loading: Boolean = true, val error: Throwable? = null)

/** Drives [NoticesScreen]. */
class NoticesViewModel(private val repo: FieldRepository) : ViewModel() {
    private val state = MutableStateFlow(NoticesUiState())
    val ui: StateFlow<NoticesUiState> = state.asStateFlow()

    init {
        load()
        viewModelScope.launch {
            repo.updates.collect { u ->
                if (u is SyncUpdate.Compensated || u is SyncUpdate.Rejected || u is SyncUpdate.Revoked || u is SyncUpdate.UploadsFinished) load()
            }
        }
    }

    fun load() {
        viewModelScope.launch {
            try {
                state.update { it.copy(notices = repo.notices(), loading = false, error = null) }
            } catch (e: FieldError) {
                state.update { it.copy(loading = false, error = e) }
            }
        }
    }
}
