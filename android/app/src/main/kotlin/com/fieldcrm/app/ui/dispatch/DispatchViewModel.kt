// One dispatch being worked: every step is one repository call, offered when the dispatch's
// `steps` (computed by the core for the user's role) contain it; the dispatch is re-read after
// each step and whenever sync changes it.
package com.fieldcrm.app.ui.dispatch

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.Dispatch
import com.fieldcrm.kit.DispatchStep
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.GeoFix
import com.fieldcrm.kit.ProductCatalog
import com.fieldcrm.kit.ProductChoice
import com.fieldcrm.kit.SyncUpdate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** What the work screen shows. */
data class DispatchUiState(
    val dispatch: Dispatch? = null,
    val loading: Boolean = true,
    val busy: Busy? = null,
    /** The dispatch left this phone (reassigned by the office) or never was here. */
    val gone: Boolean = false,
    val error: Throwable? = null,
    /** The work log entry being typed. */
    val logText: String = "",
    /** Products the part form's picker found for its query. */
    val productResults: List<ProductChoice> = emptyList(),
) {
    /** A long-running step, for the progress line. */
    enum class Busy { LOCATING, SAVING, ADDING_PHOTO }

    /** Whether `step`'s button is enabled: open for the user now and nothing else running. */
    fun can(step: DispatchStep): Boolean = busy == null && dispatch?.steps?.contains(step) == true

    /** On site, everything done but the customer's signature: say so next to the Complete button. */
    val needsSignature: Boolean
        get() = dispatch?.let { it.signature == null && DispatchStep.SIGN in it.steps && it.checkIn != null } == true
}

/** Drives [DispatchScreen]. `catalog` is the product picker of the part form. */
class DispatchViewModel(
    private val repo: FieldRepository,
    private val dispatchId: String,
    private val catalog: ProductCatalog = ProductCatalog.NONE,
) : ViewModel() {
    private val state = MutableStateFlow(DispatchUiState())
    val ui: StateFlow<DispatchUiState> = state.asStateFlow()
    private val writes = Mutex()

    init {
        viewModelScope.launch { load() }
        viewModelScope.launch {
            repo.updates.collect { u ->
                when {
                    u is SyncUpdate.Revoked && dispatchId in u.docIds -> state.update { it.copy(gone = true) }
                    u is SyncUpdate.DocsReceived || u is SyncUpdate.UploadsFinished ||
                        (u is SyncUpdate.Compensated && u.docId == dispatchId) ||
                        (u is SyncUpdate.Rejected && u.docId == dispatchId) -> load()
                    else -> Unit
                }
            }
        }
    }

    private suspend fun load() {
        try {
            val d = repo.dispatch(dispatchId)
            state.update { it.copy(dispatch = d, loading = false) }
        } catch (e: FieldError.NotFound) {
            state.update { it.copy(loading = false, gone = true) }
        } catch (e: FieldError) {
            state.update { it.copy(loading = false, error = e) }
        }
    }

    /** Runs one step (serialized with the others), then re-reads the dispatch. */
    private fun step(busy: DispatchUiState.Busy = DispatchUiState.Busy.SAVING, after: () -> Unit = {}, action: suspend () -> Unit) {
        viewModelScope.launch {
            state.update { it.copy(busy = busy, error = null) }
            try {
                writes.withLock { action() }
                after()
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            } finally {
                load()
                state.update { it.copy(busy = null) }
            }
        }
    }

    fun accept() = step { repo.acceptDispatch(dispatchId) }

    fun enRoute() = step { repo.setDispatchEnRoute(dispatchId) }

    /** Shown while the screen asks for a position before checking in. */
    fun locating() = state.update { it.copy(busy = DispatchUiState.Busy.LOCATING, error = null) }

    /** Arrives now; `fix` is null without a position (denied, off, timed out). */
    fun checkIn(fix: GeoFix?) = step { repo.checkInDispatch(dispatchId, fix) }

    fun onLogText(v: String) = state.update { it.copy(logText = v) }

    /** Adds the typed work log entry. */
    fun addLog() {
        val text = state.value.logText
        if (text.isBlank()) return
        step(after = { state.update { it.copy(logText = "") } }) { repo.logDispatchWork(dispatchId, text) }
    }

    /** The part form's product search (empty while the device has no catalog). */
    fun searchProducts(query: String) {
        viewModelScope.launch {
            val found = runCatching { catalog.search(query, PRODUCT_RESULTS) }.getOrDefault(emptyList())
            state.update { it.copy(productResults = found) }
        }
    }

    /** Records a part: `serials` as typed (comma or newline separated). */
    fun addPart(productId: String, quantity: Double, serials: String) = step {
        repo.addDispatchPart(dispatchId, productId.trim(), quantity, serials.split(',', '，', '\n').map { it.trim() }.filter { it.isNotEmpty() })
    }

    /** The camera produced a photo (already downscaled JPEG bytes). */
    fun addPhoto(bytes: ByteArray, caption: String) =
        step(DispatchUiState.Busy.ADDING_PHOTO) { repo.addDispatchPhoto(dispatchId, bytes, "image/jpeg", caption.trim()) }

    /** The signature pad's PNG. */
    fun sign(png: ByteArray) = step { repo.signDispatch(dispatchId, png) }

    fun complete() = step { repo.completeDispatch(dispatchId) }

    fun unable(reason: String) = step { repo.markDispatchUnable(dispatchId, reason) }

    fun survey(score: Int, comment: String) = step { repo.recordDispatchSurvey(dispatchId, score, comment) }

    private companion object {
        const val PRODUCT_RESULTS = 20
    }
}
