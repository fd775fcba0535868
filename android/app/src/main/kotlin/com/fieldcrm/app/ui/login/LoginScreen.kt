// The login screen: server, user name, password.
package com.fieldcrm.app.ui.login

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.errorText

/** Login; calls [onSignedIn] once signed in (after the first sync, or when it had to be skipped). */
@Composable
fun LoginScreen(viewModel: LoginViewModel, onSignedIn: (firstSyncSkipped: Boolean) -> Unit) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    LaunchedEffect(ui.step) {
        if (ui.step == LoginUiState.Step.DONE) onSignedIn(ui.firstSyncSkipped)
    }
    Scaffold { padding ->
        Column(
            modifier = Modifier
                .padding(padding)
                .fillMaxSize()
                .imePadding()
                .verticalScroll(rememberScrollState())
                .padding(24.dp),
            verticalArrangement = Arrangement.spacedBy(16.dp),
            horizontalAlignment = Alignment.CenterHorizontally,
        ) {
            Text(stringResource(R.string.app_name), style = MaterialTheme.typography.headlineMedium)
            Text(stringResource(R.string.login_subtitle), style = MaterialTheme.typography.bodyMedium)
            val editable = ui.step == LoginUiState.Step.FORM
            OutlinedTextField(
                value = ui.serverUrl,
                onValueChange = viewModel::onServerUrl,
                label = { Text(stringResource(R.string.login_server)) },
                singleLine = true,
                enabled = editable,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri, imeAction = ImeAction.Next),
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = ui.username,
                onValueChange = viewModel::onUsername,
                label = { Text(stringResource(R.string.login_username)) },
                singleLine = true,
                enabled = editable,
                keyboardOptions = KeyboardOptions(imeAction = ImeAction.Next),
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = ui.password,
                onValueChange = viewModel::onPassword,
                label = { Text(stringResource(R.string.login_password)) },
                singleLine = true,
                enabled = editable,
                visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password, imeAction = ImeAction.Done),
                keyboardActions = KeyboardActions(onDone = { viewModel.submit() }),
                modifier = Modifier.fillMaxWidth(),
            )
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error) }
            when (ui.step) {
                LoginUiState.Step.FORM -> Button(
                    onClick = viewModel::submit,
                    enabled = ui.canSubmit,
                    modifier = Modifier.fillMaxWidth(),
                ) { Text(stringResource(R.string.login_submit)) }
                LoginUiState.Step.SIGNING_IN -> Progress(stringResource(R.string.login_signing_in))
                LoginUiState.Step.FIRST_SYNC, LoginUiState.Step.DONE -> Progress(stringResource(R.string.login_first_sync))
            }
        }
    }
}

@Composable
private fun Progress(label: String) {
    Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(8.dp)) {
        CircularProgressIndicator()
        Text(label)
    }
}
