// One visit: notes (saved as the rep types, debounced), photos, outcome, check-out.
package com.fieldcrm.app.ui.visit

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.GeoFix
import com.fieldcrm.kit.SyncUpdate
import com.fieldcrm.kit.Visit
import kotlinx.coroutines.DelicateCoroutinesApi
import kotlinx.coroutines.FlowPreview
import kotlinx.coroutines.GlobalScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.debounce
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** What the visit screen shows. */
data class VisitUiState(
    val visit: Visit? = null,
    val customerName: String = "",
    val notes: String = "",
    val outcome: String = "",
    val loading: Boolean = true,
    val busy: Busy? = null,
    val error: Throwable? = null,
) {
    /** A long-running step, for the progress line. */
    enum class Busy { ADDING_PHOTO, LOCATING, CHECKING_OUT }
}

/** Drives [VisitScreen]. */
@OptIn(FlowPreview::class)
class VisitViewModel(private val repo: FieldRepository, private val visitId: String) : ViewModel() {
    private val state = MutableStateFlow(VisitUiState())
    val ui: StateFlow<VisitUiState> = state.asStateFlow()
    private val notesEdits = MutableStateFlow("")
    private val writes = Mutex()

    @Volatile
    private var savedNotes: String? = null

    init {
        viewModelScope.launch {
            load()
            // Typed notes are committed locally a second after the rep stops typing.
            notesEdits.drop(1).debounce(NOTES_DEBOUNCE_MS).distinctUntilChanged().collect { saveNotes(it) }
        }
        viewModelScope.launch {
            repo.updates.collect { u -> if (u is SyncUpdate.UploadsFinished || u is SyncUpdate.DocsReceived) refresh() }
        }
    }

    private suspend fun load() {
        try {
            val v = repo.visit(visitId)
            val name = runCatching { repo.customer(v.customerId).name }.getOrDefault("")
            notesEdits.value = v.notes
            savedNotes = v.notes
            state.update { it.copy(visit = v, customerName = name, notes = v.notes, outcome = v.outcome, loading = false) }
        } catch (e: FieldError) {
            state.update { it.copy(loading = false, error = e) }
        }
    }

    private suspend fun refresh() {
        runCatching { repo.visit(visitId) }.onSuccess { v -> state.update { it.copy(visit = v) } }
    }

    private suspend fun saveNotes(notes: String) {
        if (state.value.visit?.open != true) return
        writes.withLock {
            try {
                if (notes != savedNotes) {
                    repo.setVisitNotes(visitId, notes)
                    savedNotes = notes
                }
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            }
        }
    }

    fun onNotes(v: String) {
        state.update { it.copy(notes = v) }
        notesEdits.value = v
    }

    fun onOutcome(v: String) = state.update { it.copy(outcome = v) }

    /** The camera produced a photo (already downscaled JPEG bytes). */
    fun addPhoto(bytes: ByteArray, caption: String) {
        viewModelScope.launch {
            state.update { it.copy(busy = VisitUiState.Busy.ADDING_PHOTO, error = null) }
            try {
                writes.withLock { repo.addVisitPhoto(visitId, bytes, "image/jpeg", caption.trim()) }
                refresh()
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            } finally {
                state.update { it.copy(busy = null) }
            }
        }
    }

    /** Shown while the screen asks for a position before checking out. */
    fun locating() = state.update { it.copy(busy = VisitUiState.Busy.LOCATING, error = null) }

    /** Checks out now with the outcome and the latest notes. */
    fun checkOut(fix: GeoFix?) {
        val s = state.value
        viewModelScope.launch {
            state.update { it.copy(busy = VisitUiState.Busy.CHECKING_OUT, error = null) }
            try {
                writes.withLock { repo.checkOut(visitId, s.outcome, s.notes, fix) }
                refresh()
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            } finally {
                state.update { it.copy(busy = null) }
            }
        }
    }

    @OptIn(DelicateCoroutinesApi::class)
    override fun onCleared() {
        // Notes typed in the last second are not lost when the screen closes: the write is a
        // local commit of a few milliseconds, so it outlives the view model on purpose.
        val s = state.value
        if (s.visit?.open == true && s.notes != savedNotes) {
            GlobalScope.launch { runCatching { repo.setVisitNotes(visitId, s.notes) } }
        }
    }

    private companion object {
        const val NOTES_DEBOUNCE_MS = 1_000L
    }
}
