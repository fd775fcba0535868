// Adding or editing one contact of a customer (contactId null = add).
package com.fieldcrm.app.ui.contact

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.ContactDraft
import com.fieldcrm.kit.DraftProblem
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.allows
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The contact form. Phones are edited as one comma-separated text. */
data class ContactEditUiState(
    val draft: ContactDraft = ContactDraft(),
    val phonesText: String = "",
    val isNew: Boolean = true,
    val writable: Boolean = true,
    val loading: Boolean = true,
    val saving: Boolean = false,
    val saved: Boolean = false,
    /** Shown after the first save attempt. */
    val problem: DraftProblem? = null,
    val error: Throwable? = null,
)

/** Drives [ContactEditScreen]. */
class ContactEditViewModel(
    private val repo: FieldRepository,
    private val customerId: String,
    private val contactId: String?,
) : ViewModel() {
    private val state = MutableStateFlow(ContactEditUiState(isNew = contactId == null))
    val ui: StateFlow<ContactEditUiState> = state.asStateFlow()

    init {
        viewModelScope.launch {
            try {
                val writable = repo.writableCustomerFields().allows("contacts")
                val draft = contactId?.let { id ->
                    repo.customer(customerId).contacts.firstOrNull { it.id == id }?.toDraft()
                        ?: throw FieldError.NotFound("contact $id")
                } ?: ContactDraft()
                state.update {
                    it.copy(draft = draft, phonesText = draft.phones.joinToString(", "), writable = writable, loading = false)
                }
            } catch (e: FieldError) {
                state.update { it.copy(loading = false, error = e) }
            }
        }
    }

    /** Edits the draft. */
    fun edit(f: (ContactDraft) -> ContactDraft) = state.update { it.copy(draft = f(it.draft), problem = null, error = null) }

    fun onPhones(text: String) = state.update { it.copy(phonesText = text, problem = null) }

    /** Validates and saves. */
    fun save() {
        val s = state.value
        if (s.saving || !s.writable) return
        val draft = s.draft.copy(phones = s.phonesText.split(',', '，', ';').map { it.trim() }.filter { it.isNotEmpty() })
        val problem = draft.problem()
        if (problem != null) {
            state.update { it.copy(problem = problem) }
            return
        }
        viewModelScope.launch {
            state.update { it.copy(saving = true, error = null) }
            try {
                if (contactId == null) repo.addContact(customerId, draft) else repo.updateContact(customerId, contactId, draft)
                state.update { it.copy(saving = false, saved = true) }
            } catch (e: FieldError) {
                state.update { it.copy(saving = false, error = e) }
            }
        }
    }
}
