// The engineer's home: the dispatches on the phone, reloaded when sync brings or removes some.
package com.fieldcrm.app.ui.dispatch

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.DispatchSummary
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.SyncState
import com.fieldcrm.kit.SyncUpdate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the dispatch list shows. */
data class DispatchListUiState(
    val dispatches: List<DispatchSummary> = emptyList(),
    val loading: Boolean = true,
    val syncing: Boolean = false,
    val error: Throwable? = null,
) {
    /** Jobs still to do (not final), in schedule order. */
    val open: List<DispatchSummary> get() = dispatches.filter { !it.status.isFinal }

    /** Jobs done, unable or withdrawn. */
    val closed: List<DispatchSummary> get() = dispatches.filter { it.status.isFinal }
}

/** Drives [DispatchListScreen]. */
class DispatchListViewModel(private val repo: FieldRepository) : ViewModel() {
    private val state = MutableStateFlow(DispatchListUiState())
    val ui: StateFlow<DispatchListUiState> = state.asStateFlow()

    /** The sync status bar's state. */
    val sync: StateFlow<SyncState> = repo.syncState

    init {
        load()
        viewModelScope.launch {
            repo.updates.collect { u ->
                if (u is SyncUpdate.Arrived || u is SyncUpdate.DocsReceived || u is SyncUpdate.Revoked ||
                    u is SyncUpdate.Compensated || u is SyncUpdate.Rejected
                ) {
                    load()
                }
            }
        }
    }

    /** (Re)reads the list. */
    fun load() {
        viewModelScope.launch {
            try {
                val list = repo.dispatches()
                state.update { it.copy(dispatches = list, loading = false, error = null) }
            } catch (e: FieldError) {
                state.update { it.copy(loading = false, error = e) }
            }
        }
    }

    /** Pull to refresh: one full sync, then the list again. */
    fun syncNow() {
        if (state.value.syncing) return
        viewModelScope.launch {
            state.update { it.copy(syncing = true, error = null) }
            try {
                repo.syncNow()
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            } finally {
                state.update { it.copy(syncing = false) }
                load()
            }
        }
    }
}
