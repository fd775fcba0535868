// One order: its lines with the server's prices (once synced), number, status; submit and cancel
// when the order's steps allow them for the user.
package com.fieldcrm.app.ui.order

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.Order
import com.fieldcrm.kit.OrderStep
import com.fieldcrm.kit.SyncUpdate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the order screen shows. */
data class OrderUiState(
    val order: Order? = null,
    val customerName: String = "",
    val loading: Boolean = true,
    val busy: Boolean = false,
    val gone: Boolean = false,
    val error: Throwable? = null,
) {
    fun can(step: OrderStep): Boolean = !busy && order?.steps?.contains(step) == true
}

/** Drives [OrderScreen]. */
class OrderViewModel(private val repo: FieldRepository, private val orderId: String) : ViewModel() {
    private val state = MutableStateFlow(OrderUiState())
    val ui: StateFlow<OrderUiState> = state.asStateFlow()

    init {
        viewModelScope.launch { load() }
        viewModelScope.launch {
            repo.updates.collect { u ->
                when {
                    u is SyncUpdate.Revoked && orderId in u.docIds -> state.update { it.copy(gone = true) }
                    u is SyncUpdate.DocsReceived || (u is SyncUpdate.Compensated && u.docId == orderId) -> load()
                    else -> Unit
                }
            }
        }
    }

    private suspend fun load() {
        try {
            val o = repo.order(orderId)
            val name = runCatching { repo.customer(o.customerId).name }.getOrDefault("")
            state.update { it.copy(order = o, customerName = name, loading = false) }
        } catch (e: FieldError.NotFound) {
            state.update { it.copy(loading = false, gone = true) }
        } catch (e: FieldError) {
            state.update { it.copy(loading = false, error = e) }
        }
    }

    private fun run(action: suspend () -> Unit) {
        viewModelScope.launch {
            state.update { it.copy(busy = true, error = null) }
            try {
                action()
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            } finally {
                load()
                state.update { it.copy(busy = false) }
            }
        }
    }

    fun submit() = run { repo.submitOrder(orderId) }

    fun cancel(reason: String) = run { repo.cancelOrder(orderId, reason) }
}
