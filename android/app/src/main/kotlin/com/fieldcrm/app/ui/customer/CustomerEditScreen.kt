// The customer edit form: read-only fields are disabled with a lock and a note.
package com.fieldcrm.app.ui.customer

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Lock
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.errorText

/** The form; calls [onDone] after a successful save. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun CustomerEditScreen(viewModel: CustomerEditViewModel, onDone: () -> Unit) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    LaunchedEffect(ui.saved) { if (ui.saved) onDone() }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.customer_edit_title)) },
                navigationIcon = {
                    IconButton(onClick = onDone) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                    }
                },
                actions = {
                    TextButton(onClick = viewModel::save, enabled = ui.canSave) { Text(stringResource(R.string.action_save)) }
                },
            )
        },
    ) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().imePadding().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (ui.loading || ui.saving) LinearProgressIndicator(Modifier.fillMaxWidth())
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error) }
            if (ui.rows.any { !it.writable }) {
                Text(stringResource(R.string.customer_read_only_note), style = MaterialTheme.typography.bodySmall)
            }
            ui.rows.forEach { row ->
                OutlinedTextField(
                    value = row.value,
                    onValueChange = { viewModel.onChange(row.field, it) },
                    label = { Text(fieldLabel(row.field)) },
                    enabled = row.writable,
                    readOnly = !row.writable,
                    singleLine = row.field != "notes",
                    minLines = if (row.field == "notes") 3 else 1,
                    trailingIcon = if (row.writable) null else {
                        { Icon(Icons.Filled.Lock, contentDescription = stringResource(R.string.field_read_only)) }
                    },
                    supportingText = if (row.field == "phones" || row.field == "tags") {
                        { Text(stringResource(R.string.field_list_hint)) }
                    } else {
                        null
                    },
                    modifier = Modifier.fillMaxWidth().testTag("field-${row.field}"),
                )
            }
            ui.serverOwned.forEach { (field, value) ->
                OutlinedTextField(
                    value = value,
                    onValueChange = {},
                    label = { Text(fieldLabel(field)) },
                    enabled = false,
                    readOnly = true,
                    singleLine = true,
                    trailingIcon = { Icon(Icons.Filled.Lock, contentDescription = stringResource(R.string.field_read_only)) },
                    modifier = Modifier.fillMaxWidth().testTag("field-$field"),
                )
            }
        }
    }
}

/** The localized label of a customer field (custom fields show their key). */
@Composable
fun fieldLabel(field: String): String = when (field) {
    "name" -> stringResource(R.string.field_name)
    "code" -> stringResource(R.string.field_code)
    "tier" -> stringResource(R.string.field_tier)
    "industry" -> stringResource(R.string.field_industry)
    "source" -> stringResource(R.string.field_source)
    "phones" -> stringResource(R.string.field_phones)
    "email" -> stringResource(R.string.field_email)
    "address.province" -> stringResource(R.string.field_province)
    "address.city" -> stringResource(R.string.field_city)
    "address.district" -> stringResource(R.string.field_district)
    "address.street" -> stringResource(R.string.field_street)
    "address.zip" -> stringResource(R.string.field_zip)
    "tags" -> stringResource(R.string.field_tags)
    "notes" -> stringResource(R.string.field_notes)
    "territory" -> stringResource(R.string.field_territory)
    "owner" -> stringResource(R.string.field_owner)
    else -> field.removePrefix("custom.")
}
