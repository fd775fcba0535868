// Order entry: pick the customer (unless started from its card), add lines, save as a draft or
// submit. Prices are the server's: the screen shows none until the order has synced.
package com.fieldcrm.app.ui.order

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
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
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.formatPercentBp
import com.fieldcrm.app.ui.common.formatQuantity
import com.fieldcrm.app.ui.common.lineProblemText
import com.fieldcrm.kit.OrderLineDraft

/** Test tag of the submit button. */
const val ORDER_SUBMIT_TAG = "order-submit"

/** A new order; `onDone` gets the saved order's id. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun OrderEntryScreen(viewModel: OrderEntryViewModel, onBack: () -> Unit, onDone: (String) -> Unit) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    LaunchedEffect(ui.savedOrderId, ui.error) {
        val id = ui.savedOrderId
        if (id != null && ui.error == null) onDone(id)
    }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.order_new_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                    }
                },
            )
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize().imePadding()) {
            if (ui.saving) LinearProgressIndicator(Modifier.fillMaxWidth())
            ui.error?.let { e ->
                Text(errorText(e), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp))
                ui.savedOrderId?.let { id -> TextButton(onClick = { onDone(id) }) { Text(stringResource(R.string.order_open_saved)) } }
            }
            when (ui.step) {
                OrderEntryUiState.Step.CUSTOMER -> CustomerStep(ui, viewModel)
                OrderEntryUiState.Step.LINES -> LinesStep(ui, viewModel)
            }
        }
    }
}

@Composable
private fun CustomerStep(ui: OrderEntryUiState, viewModel: OrderEntryViewModel) {
    Text(stringResource(R.string.order_pick_customer), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(16.dp))
    OutlinedTextField(
        value = ui.customerQuery,
        onValueChange = viewModel::onCustomerQuery,
        leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
        placeholder = { Text(stringResource(R.string.customers_search_hint)) },
        singleLine = true,
        modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp),
    )
    LazyColumn(Modifier.fillMaxSize()) {
        items(ui.customerResults, key = { it.id }) { c ->
            ListItem(
                headlineContent = { Text(c.name) },
                supportingContent = { Text(listOf(c.code, c.city, c.district).filter { it.isNotBlank() }.joinToString(" · ")) },
                modifier = Modifier.clickable { viewModel.pickCustomer(c) },
            )
            HorizontalDivider()
        }
    }
}

@Composable
private fun LinesStep(ui: OrderEntryUiState, viewModel: OrderEntryViewModel) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Row {
            Column(Modifier.weight(1f)) {
                Text(stringResource(R.string.order_customer), style = MaterialTheme.typography.labelMedium)
                Text(ui.customerName, style = MaterialTheme.typography.titleMedium)
            }
            if (!ui.customerFixed) TextButton(onClick = viewModel::changeCustomer) { Text(stringResource(R.string.order_change_customer)) }
        }

        Text(stringResource(R.string.order_lines, ui.lines.size), style = MaterialTheme.typography.titleSmall)
        if (ui.lines.isEmpty()) Text(stringResource(R.string.order_no_lines), style = MaterialTheme.typography.bodySmall)
        ui.lines.forEachIndexed { i, line -> DraftLine(line) { viewModel.removeLine(i) } }

        Card(Modifier.fillMaxWidth()) {
            Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(stringResource(R.string.order_add_line), style = MaterialTheme.typography.titleSmall)
                // The product picker: the catalog when the phone has one, else the product id typed.
                OutlinedTextField(
                    value = ui.form.productQuery,
                    onValueChange = viewModel::onProductQuery,
                    leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
                    label = { Text(stringResource(R.string.product_search)) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
                ui.productResults.forEach { p ->
                    ListItem(
                        headlineContent = { Text("${p.code} ${p.name}") },
                        supportingContent = { Text(p.unit) },
                        modifier = Modifier.clickable { viewModel.pickProduct(p) },
                    )
                }
                if (ui.catalogSearched && ui.productResults.isEmpty()) {
                    Text(stringResource(R.string.product_no_catalog), style = MaterialTheme.typography.bodySmall)
                }
                if (ui.form.productLabel.isNotBlank()) {
                    Text(ui.form.productLabel, style = MaterialTheme.typography.bodyLarge)
                } else {
                    OutlinedTextField(
                        value = ui.form.productId,
                        onValueChange = viewModel::onProductId,
                        label = { Text(stringResource(R.string.product_id)) },
                        singleLine = true,
                        modifier = Modifier.fillMaxWidth().testTag("order-product-id"),
                    )
                }
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    OutlinedTextField(
                        value = ui.form.quantity,
                        onValueChange = viewModel::onQuantity,
                        label = { Text(stringResource(R.string.order_quantity)) },
                        singleLine = true,
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                        modifier = Modifier.weight(1f).testTag("order-quantity"),
                    )
                    OutlinedTextField(
                        value = ui.form.discountPercent,
                        onValueChange = viewModel::onDiscount,
                        label = { Text(stringResource(R.string.order_discount)) },
                        singleLine = true,
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                        modifier = Modifier.weight(1f),
                    )
                }
                OutlinedTextField(
                    value = ui.form.delivery,
                    onValueChange = viewModel::onDelivery,
                    label = { Text(stringResource(R.string.order_delivery)) },
                    placeholder = { Text("2026-09-01") },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
                ui.lineProblem?.let { Text(lineProblemText(it), color = MaterialTheme.colorScheme.error) }
                OutlinedButton(onClick = viewModel::addLine, modifier = Modifier.testTag("order-add-line")) {
                    Text(stringResource(R.string.order_add_line))
                }
            }
        }

        OutlinedTextField(
            value = ui.notes,
            onValueChange = viewModel::onNotes,
            label = { Text(stringResource(R.string.field_notes)) },
            minLines = 2,
            modifier = Modifier.fillMaxWidth(),
        )
        Text(stringResource(R.string.order_priced_by_server), style = MaterialTheme.typography.bodySmall)
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { viewModel.save(submit = false) }, enabled = ui.canSave) { Text(stringResource(R.string.order_save_draft)) }
            Button(onClick = { viewModel.save(submit = true) }, enabled = ui.canSave, modifier = Modifier.testTag(ORDER_SUBMIT_TAG)) {
                Text(stringResource(R.string.order_submit))
            }
        }
    }
}

@Composable
private fun DraftLine(line: OrderLineDraft, onRemove: () -> Unit) {
    val detail = listOfNotNull(
        stringResource(R.string.order_line_quantity, formatQuantity(line.quantity)),
        if (line.discountBp > 0) stringResource(R.string.order_line_discount, formatPercentBp(line.discountBp)) else null,
        line.requestedDelivery?.let { stringResource(R.string.order_line_delivery, it) },
    ).joinToString(" · ")
    ListItem(
        headlineContent = { Text(line.label.ifBlank { line.productId }) },
        supportingContent = { Text(detail) },
        trailingContent = {
            IconButton(onClick = onRemove) { Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.action_remove)) }
        },
    )
}
