// One order: number (once the server gave it), status, lines with the server's prices, totals;
// submit / cancel buttons enabled by the order's steps.
package com.fieldcrm.app.ui.order

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
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
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.formatMoney
import com.fieldcrm.app.ui.common.formatPercentBp
import com.fieldcrm.app.ui.common.formatQuantity
import com.fieldcrm.app.ui.common.statusText
import com.fieldcrm.kit.OrderLine
import com.fieldcrm.kit.OrderStep

/** One order. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun OrderScreen(viewModel: OrderViewModel, onBack: () -> Unit) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    var cancelling by rememberSaveable { mutableStateOf(false) }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(ui.order?.number ?: stringResource(R.string.order_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                    }
                },
            )
        },
    ) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (ui.loading || ui.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error) }
            if (ui.gone) {
                Text(stringResource(R.string.order_gone))
                return@Column
            }
            val o = ui.order ?: return@Column
            Text(ui.customerName, style = MaterialTheme.typography.titleMedium)
            Text(
                listOf(statusText(o.status), o.number ?: stringResource(R.string.order_no_number)).joinToString(" · "),
                style = MaterialTheme.typography.labelLarge,
            )
            HorizontalDivider()
            o.lines.forEach { Line(it, o.currency) }
            HorizontalDivider()
            if (o.currency.isBlank()) {
                Text(stringResource(R.string.order_priced_by_server), style = MaterialTheme.typography.bodySmall)
            } else {
                Total(stringResource(R.string.order_subtotal), formatMoney(o.subtotal, o.currency))
                if (o.discountTotal != 0L) Total(stringResource(R.string.order_discount_total), "−" + formatMoney(o.discountTotal, o.currency))
                Total(stringResource(R.string.order_total), formatMoney(o.total, o.currency))
            }
            if (o.notes.isNotBlank()) Text(o.notes)
            if (o.cancelReason.isNotBlank()) Text(stringResource(R.string.order_cancel_reason_shown, o.cancelReason))
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                if (OrderStep.SUBMIT in o.steps) {
                    Button(onClick = viewModel::submit, enabled = ui.can(OrderStep.SUBMIT)) { Text(stringResource(R.string.order_submit)) }
                }
                if (OrderStep.CANCEL in o.steps) {
                    OutlinedButton(onClick = { cancelling = true }, enabled = ui.can(OrderStep.CANCEL)) {
                        Text(stringResource(R.string.order_cancel))
                    }
                }
            }
        }
    }
    if (cancelling) {
        var reason by rememberSaveable { mutableStateOf("") }
        AlertDialog(
            onDismissRequest = { cancelling = false },
            title = { Text(stringResource(R.string.order_cancel)) },
            text = {
                OutlinedTextField(
                    value = reason,
                    onValueChange = { reason = it },
                    label = { Text(stringResource(R.string.order_cancel_reason)) },
                    modifier = Modifier.fillMaxWidth(),
                )
            },
            confirmButton = {
                TextButton(onClick = { cancelling = false; viewModel.cancel(reason.trim()) }) { Text(stringResource(R.string.order_cancel)) }
            },
            dismissButton = { TextButton(onClick = { cancelling = false }) { Text(stringResource(R.string.action_back)) } },
        )
    }
}

@Composable
private fun Line(line: OrderLine, currency: String) {
    val name = listOf(line.productCode, line.productName).filter { it.isNotBlank() }.joinToString(" ").ifBlank { line.productId.orEmpty() }
    val qty = listOf(formatQuantity(line.quantity), line.unit).filter { it.isNotBlank() }.joinToString(" ")
    val detail = listOfNotNull(
        qty,
        if (currency.isNotBlank()) "× " + formatMoney(line.unitPrice, currency) else null,
        if (line.discountBp > 0) stringResource(R.string.order_line_discount, formatPercentBp(line.discountBp)) else null,
        line.requestedDelivery?.let { stringResource(R.string.order_line_delivery, it) },
    ).joinToString(" · ")
    ListItem(
        headlineContent = { Text(name) },
        supportingContent = {
            Column {
                Text(detail)
                if (line.problem.isNotBlank()) Text(line.problem, color = MaterialTheme.colorScheme.error)
            }
        },
        trailingContent = { if (currency.isNotBlank()) Text(formatMoney(line.lineTotal, currency)) },
    )
}

@Composable
private fun Total(label: String, value: String) {
    Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.SpaceBetween) {
        Text(label)
        Text(value, style = MaterialTheme.typography.titleSmall)
    }
}
