// Sign-in: validate the form, log in, run the first sync, then hand over to the customer list.
package com.fieldcrm.app.ui.login

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The login form and its progress. */
data class LoginUiState(
    val serverUrl: String = "http://",
    val username: String = "",
    val password: String = "",
    val step: Step = Step.FORM,
    val error: Throwable? = null,
    /** First sync failed (offline): signed in, data comes later. */
    val firstSyncSkipped: Boolean = false,
) {
    enum class Step { FORM, SIGNING_IN, FIRST_SYNC, DONE }

    val canSubmit: Boolean
        get() = step == Step.FORM && serverUrl.length > "http://".length && username.isNotBlank() && password.isNotEmpty()
}

/** Drives [LoginScreen]. `deviceName` is shown in the back office's device list. */
class LoginViewModel(private val repo: FieldRepository, private val deviceName: String) : ViewModel() {
    private val state = MutableStateFlow(LoginUiState())
    val ui: StateFlow<LoginUiState> = state.asStateFlow()

    fun onServerUrl(v: String) = state.update { it.copy(serverUrl = v.trim(), error = null) }
    fun onUsername(v: String) = state.update { it.copy(username = v, error = null) }
    fun onPassword(v: String) = state.update { it.copy(password = v, error = null) }

    fun submit() {
        val s = state.value
        if (!s.canSubmit) return
        state.update { it.copy(step = LoginUiState.Step.SIGNING_IN, error = null) }
        viewModelScope.launch {
            try {
                repo.login(s.serverUrl, s.username.trim(), s.password, deviceName)
            } catch (e: FieldError) {
                state.update { it.copy(step = LoginUiState.Step.FORM, error = e, password = "") }
                return@launch
            }
            state.update { it.copy(step = LoginUiState.Step.FIRST_SYNC, password = "") }
            val skipped = try {
                repo.syncNow()
                false
            } catch (e: FieldError) {
                // Signed in; the first sync will be retried by live/background sync.
                true
            }
            runCatching { repo.startLiveSync() }
            state.update { it.copy(step = LoginUiState.Step.DONE, firstSyncSkipped = skipped) }
        }
    }
}
