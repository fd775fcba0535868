// Editing a customer's fields. Fields the signed-in role may not write (the core's policy, via
// writableCustomerFields) are shown read-only; only changed fields are sent, in one change.
package com.fieldcrm.app.ui.customer

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.Customer
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.allows
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** One row of the edit form. */
data class FieldRow(val field: String, val value: String, val original: String, val writable: Boolean) {
    val changed: Boolean get() = value != original
}

/** The edit form. */
data class CustomerEditUiState(
    val rows: List<FieldRow> = emptyList(),
    /** Server-owned values shown for information (territory, owner). */
    val serverOwned: List<Pair<String, String>> = emptyList(),
    val loading: Boolean = true,
    val saving: Boolean = false,
    val saved: Boolean = false,
    val error: Throwable? = null,
) {
    val canSave: Boolean get() = !saving && rows.any { it.changed && it.writable } && rows.first { it.field == "name" }.value.isNotBlank()
}

/** Drives [CustomerEditScreen]. */
class CustomerEditViewModel(private val repo: FieldRepository, private val customerId: String) : ViewModel() {
    private val state = MutableStateFlow(CustomerEditUiState())
    val ui: StateFlow<CustomerEditUiState> = state.asStateFlow()

    init {
        viewModelScope.launch {
            try {
                val c = repo.customer(customerId)
                val writable = repo.writableCustomerFields()
                state.update {
                    it.copy(
                        rows = Customer.EDITABLE_FIELDS.map { f -> FieldRow(f, c.fieldText(f), c.fieldText(f), writable.allows(f)) },
                        serverOwned = listOf("territory" to c.territory.orEmpty(), "owner" to c.owner.orEmpty()),
                        loading = false,
                    )
                }
            } catch (e: FieldError) {
                state.update { it.copy(loading = false, error = e) }
            }
        }
    }

    /** Edits one field (ignored for read-only fields). */
    fun onChange(field: String, value: String) = state.update { s ->
        s.copy(rows = s.rows.map { if (it.field == field && it.writable) it.copy(value = value) else it }, error = null)
    }

    /** Saves the changed writable fields. */
    fun save() {
        val s = state.value
        if (!s.canSave) return
        val changes = s.rows.filter { it.changed && it.writable }.associate { it.field to it.value }
        viewModelScope.launch {
            state.update { it.copy(saving = true, error = null) }
            try {
                repo.updateCustomer(customerId, changes)
                state.update { it.copy(saving = false, saved = true) }
            } catch (e: FieldError) {
                state.update { it.copy(saving = false, error = e) }
            }
        }
    }
}
