// A customer's card: details, contacts, visits, orders; check-in starts a visit here.
package com.fieldcrm.app.ui.customer

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.Customer
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.GeoFix
import com.fieldcrm.kit.OrderSummary
import com.fieldcrm.kit.SyncUpdate
import com.fieldcrm.kit.VisitSummary
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.receiveAsFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the card shows. */
data class CustomerUiState(
    val customer: Customer? = null,
    val visits: List<VisitSummary> = emptyList(),
    val orders: List<OrderSummary> = emptyList(),
    val loading: Boolean = true,
    val checkingIn: Boolean = false,
    /** The customer left this user's scope (revoked) or never existed here. */
    val gone: Boolean = false,
    val error: Throwable? = null,
) {
    /** The visit still open at this customer, if any (check out before a new check-in). */
    val openVisit: VisitSummary? get() = visits.firstOrNull { it.open }
}

/** Drives [CustomerScreen]. */
class CustomerViewModel(private val repo: FieldRepository, private val customerId: String) : ViewModel() {
    private val state = MutableStateFlow(CustomerUiState())
    val ui: StateFlow<CustomerUiState> = state.asStateFlow()

    private val opened = Channel<String>(Channel.BUFFERED)

    /** Visit ids to open (after a check-in). */
    val openVisit: Flow<String> = opened.receiveAsFlow()

    init {
        load()
        viewModelScope.launch {
            repo.updates.collect { u ->
                when {
                    u is SyncUpdate.Revoked && customerId in u.docIds -> state.update { it.copy(gone = true) }
                    u is SyncUpdate.DocsReceived || u is SyncUpdate.Compensated || u is SyncUpdate.Rejected -> load()
                    else -> Unit
                }
            }
        }
    }

    /** (Re)loads the customer, its visits and its orders. */
    fun load() {
        viewModelScope.launch {
            try {
                val c = repo.customer(customerId)
                val v = repo.visits(customerId, VISITS, 0)
                val o = repo.orders(customerId)
                state.update { it.copy(customer = c, visits = v, orders = o, loading = false, error = null) }
            } catch (e: FieldError.NotFound) {
                state.update { it.copy(loading = false, gone = true) }
            } catch (e: FieldError) {
                state.update { it.copy(loading = false, error = e) }
            }
        }
    }

    /** Checks in now (with a position when the user granted one) and opens the visit. */
    fun checkIn(fix: GeoFix?) {
        if (state.value.checkingIn) return
        state.value.openVisit?.let { opened.trySend(it.id); return }
        viewModelScope.launch {
            state.update { it.copy(checkingIn = true, error = null) }
            try {
                val id = repo.checkIn(customerId, fix)
                opened.send(id)
                load()
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            } finally {
                state.update { it.copy(checkingIn = false) }
            }
        }
    }

    /** Removes a contact. */
    fun removeContact(contactId: String) {
        viewModelScope.launch {
            try {
                repo.removeContact(customerId, contactId)
                load()
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            }
        }
    }

    private companion object {
        const val VISITS = 50
    }
}
