// The customer list: search as you type (debounced), pages of 50 loaded as the user scrolls,
// refreshed when sync brings documents or local edits change them.
package com.fieldcrm.app.ui.customers

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.CustomerSummary
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.SyncState
import com.fieldcrm.kit.SyncUpdate
import kotlinx.coroutines.FlowPreview
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.debounce
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the list shows. */
data class CustomerListUiState(
    val query: String = "",
    val customers: List<CustomerSummary> = emptyList(),
    val loading: Boolean = true,
    val endReached: Boolean = false,
    val syncing: Boolean = false,
    val error: Throwable? = null,
)

/** Drives [CustomerListScreen]. */
@OptIn(FlowPreview::class)
class CustomerListViewModel(private val repo: FieldRepository) : ViewModel() {
    private val state = MutableStateFlow(CustomerListUiState())
    val ui: StateFlow<CustomerListUiState> = state.asStateFlow()

    /** The sync status bar's state. */
    val sync: StateFlow<SyncState> = repo.syncState

    private val queries = MutableStateFlow("")
    private var loadJob: Job? = null

    init {
        viewModelScope.launch {
            queries.debounce(SEARCH_DEBOUNCE_MS).distinctUntilChanged().collect { reload() }
        }
        // New or changed documents from the server: show them without losing the query.
        viewModelScope.launch {
            repo.updates
                .filter { it is SyncUpdate.DocsReceived || it is SyncUpdate.Revoked || it is SyncUpdate.Compensated }
                .collect { reload() }
        }
        // Local counters changed (an edit elsewhere, a push acknowledged): pending flags change.
        viewModelScope.launch {
            repo.syncState.drop(1).distinctUntilChanged { a, b -> a.pendingChanges == b.pendingChanges }.collect { reload() }
        }
    }

    fun onQuery(q: String) {
        state.update { it.copy(query = q) }
        queries.value = q
    }

    /** Reloads the first page (and as many as were shown, up to 200). */
    fun reload() {
        val shown = state.value.customers.size.coerceIn(PAGE, MAX_RELOAD)
        loadJob?.cancel()
        loadJob = viewModelScope.launch {
            state.update { it.copy(loading = true, error = null) }
            try {
                val list = repo.customers(queries.value, shown, 0)
                state.update { it.copy(customers = list, loading = false, endReached = list.size < shown) }
            } catch (e: FieldError) {
                state.update { it.copy(loading = false, error = e) }
            }
        }
    }

    /** Loads the next page (called when the last rows become visible). */
    fun loadMore() {
        val s = state.value
        if (s.loading || s.endReached) return
        loadJob = viewModelScope.launch {
            state.update { it.copy(loading = true) }
            try {
                val more = repo.customers(queries.value, PAGE, s.customers.size)
                state.update { it.copy(customers = it.customers + more, loading = false, endReached = more.size < PAGE) }
            } catch (e: FieldError) {
                state.update { it.copy(loading = false, error = e) }
            }
        }
    }

    /** Pull-to-refresh / the sync button: one full sync now. */
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
            }
            reload()
        }
    }

    private companion object {
        const val PAGE = 50
        const val MAX_RELOAD = 200
        const val SEARCH_DEBOUNCE_MS = 250L
    }
}
