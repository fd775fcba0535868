// The contact form.
package com.fieldcrm.app.ui.contact

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.problemText
import com.fieldcrm.kit.DraftProblem

/** Add or edit a contact; calls [onDone] after saving. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ContactEditScreen(viewModel: ContactEditViewModel, onDone: () -> Unit) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    LaunchedEffect(ui.saved) { if (ui.saved) onDone() }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(if (ui.isNew) R.string.contact_add else R.string.contact_edit)) },
                navigationIcon = {
                    IconButton(onClick = onDone) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                    }
                },
                actions = {
                    TextButton(onClick = viewModel::save, enabled = ui.writable && !ui.saving && !ui.loading) {
                        Text(stringResource(R.string.action_save))
                    }
                },
            )
        },
    ) { padding ->
        val d = ui.draft
        val enabled = ui.writable && !ui.saving
        Column(
            Modifier.padding(padding).fillMaxSize().imePadding().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (ui.loading || ui.saving) LinearProgressIndicator(Modifier.fillMaxWidth())
            if (!ui.writable) Text(stringResource(R.string.contact_read_only), style = MaterialTheme.typography.bodySmall)
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error) }
            ui.problem?.let { Text(problemText(it), color = MaterialTheme.colorScheme.error) }
            OutlinedTextField(
                value = d.name, onValueChange = { v -> viewModel.edit { it.copy(name = v) } },
                label = { Text(stringResource(R.string.contact_name)) }, singleLine = true, enabled = enabled,
                isError = ui.problem == DraftProblem.NAME_REQUIRED,
                modifier = Modifier.fillMaxWidth().testTag("contact-name"),
            )
            OutlinedTextField(
                value = d.title, onValueChange = { v -> viewModel.edit { it.copy(title = v) } },
                label = { Text(stringResource(R.string.contact_title)) }, singleLine = true, enabled = enabled,
                modifier = Modifier.fillMaxWidth().testTag("contact-title"),
            )
            OutlinedTextField(
                value = d.department, onValueChange = { v -> viewModel.edit { it.copy(department = v) } },
                label = { Text(stringResource(R.string.contact_department)) }, singleLine = true, enabled = enabled,
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = ui.phonesText, onValueChange = viewModel::onPhones,
                label = { Text(stringResource(R.string.field_phones)) }, singleLine = true, enabled = enabled,
                supportingText = { Text(stringResource(R.string.field_list_hint)) },
                isError = ui.problem == DraftProblem.PHONE_INVALID,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
                modifier = Modifier.fillMaxWidth().testTag("contact-phones"),
            )
            OutlinedTextField(
                value = d.email, onValueChange = { v -> viewModel.edit { it.copy(email = v) } },
                label = { Text(stringResource(R.string.field_email)) }, singleLine = true, enabled = enabled,
                isError = ui.problem == DraftProblem.EMAIL_INVALID,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Email),
                modifier = Modifier.fillMaxWidth().testTag("contact-email"),
            )
            OutlinedTextField(
                value = d.role, onValueChange = { v -> viewModel.edit { it.copy(role = v) } },
                label = { Text(stringResource(R.string.contact_role)) }, singleLine = true, enabled = enabled,
                modifier = Modifier.fillMaxWidth(),
            )
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                Switch(checked = d.primary, onCheckedChange = { v -> viewModel.edit { it.copy(primary = v) } }, enabled = enabled)
                Text(stringResource(R.string.contact_primary))
            }
            OutlinedTextField(
                value = d.notes, onValueChange = { v -> viewModel.edit { it.copy(notes = v) } },
                label = { Text(stringResource(R.string.field_notes)) }, minLines = 3, enabled = enabled,
                modifier = Modifier.fillMaxWidth(),
            )
        }
    }
}
