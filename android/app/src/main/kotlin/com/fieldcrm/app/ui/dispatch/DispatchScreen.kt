// The work screen of one dispatch: the job and the site, then the steps in workflow order —
// accept, en route, check in (with the position), work log, parts, photos, the customer's
// signature, complete or unable — each button enabled by the dispatch's open steps; then the
// satisfaction survey.
package com.fieldcrm.app.ui.dispatch

import android.content.Intent
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Call
import androidx.compose.material.icons.filled.Draw
import androidx.compose.material.icons.filled.PhotoCamera
import androidx.compose.material.icons.filled.Star
import androidx.compose.material.icons.filled.StarBorder
import androidx.compose.material3.AlertDialog
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
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.PhotoTile
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.formatDateTime
import com.fieldcrm.app.ui.common.formatPosition
import com.fieldcrm.app.ui.common.formatQuantity
import com.fieldcrm.app.ui.common.priorityText
import com.fieldcrm.app.ui.common.statusText
import com.fieldcrm.app.ui.common.ticketTypeText
import com.fieldcrm.app.ui.visit.FusedLocator
import com.fieldcrm.app.ui.visit.LOCATION_PERMISSIONS
import com.fieldcrm.app.ui.visit.Locator
import com.fieldcrm.app.ui.visit.compressPhoto
import com.fieldcrm.app.ui.visit.newPhotoTarget
import com.fieldcrm.kit.Dispatch
import com.fieldcrm.kit.DispatchStatus
import com.fieldcrm.kit.DispatchStep
import com.fieldcrm.kit.ProductChoice
import java.io.File
import kotlinx.coroutines.launch

/** Test tag of a step's button: `dispatch-step-ACCEPT`, … */
fun stepTag(step: DispatchStep) = "dispatch-step-${step.name}"

/** One dispatch. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun DispatchScreen(viewModel: DispatchViewModel, onBack: () -> Unit, locator: Locator = FusedLocator(LocalContext.current)) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var caption by rememberSaveable { mutableStateOf("") }
    var pendingPhoto by rememberSaveable { mutableStateOf<String?>(null) }
    var dialog by rememberSaveable { mutableStateOf<DialogKind?>(null) }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { ok ->
        val path = pendingPhoto ?: return@rememberLauncherForActivityResult
        pendingPhoto = null
        val file = File(path)
        if (!ok) {
            file.delete()
            return@rememberLauncherForActivityResult
        }
        scope.launch {
            compressPhoto(file)?.let { viewModel.addPhoto(it, caption) }
            caption = ""
        }
    }
    fun checkIn() {
        viewModel.locating()
        scope.launch { viewModel.checkIn(locator.fix()) }
    }
    // Asked at the first check-in; a refusal still checks in, without a position.
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { checkIn() }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(ui.dispatch?.site?.customerName?.ifBlank { null } ?: stringResource(R.string.dispatch_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                    }
                },
            )
        },
    ) { padding ->
        Column(
            Modifier.padding(padding).fillMaxSize().imePadding().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            if (ui.loading || ui.busy != null) LinearProgressIndicator(Modifier.fillMaxWidth())
            when (ui.busy) {
                DispatchUiState.Busy.LOCATING -> Text(stringResource(R.string.visit_locating))
                DispatchUiState.Busy.ADDING_PHOTO -> Text(stringResource(R.string.visit_adding_photo))
                DispatchUiState.Busy.SAVING, null -> Unit
            }
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error) }
            if (ui.gone) {
                Text(stringResource(R.string.dispatch_gone))
                return@Column
            }
            val d = ui.dispatch ?: return@Column

            JobCard(d) { phone -> context.startActivity(Intent(Intent.ACTION_DIAL, Uri.parse("tel:$phone"))) }

            // The way there.
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                StepButton(DispatchStep.ACCEPT, R.string.dispatch_accept, ui) { viewModel.accept() }
                StepButton(DispatchStep.EN_ROUTE, R.string.dispatch_en_route, ui) { viewModel.enRoute() }
                StepButton(DispatchStep.CHECK_IN, R.string.dispatch_check_in, ui) {
                    if (locator.hasPermission()) checkIn() else permission.launch(LOCATION_PERMISSIONS)
                }
            }
            d.checkIn?.let { cp ->
                Column {
                    Text(stringResource(R.string.visit_checked_in), style = MaterialTheme.typography.labelMedium)
                    Text(formatDateTime(cp.at))
                    Text(formatPosition(cp.lat, cp.lon, cp.accuracyM) ?: stringResource(R.string.visit_no_position))
                }
            }

            // The work.
            HorizontalDivider()
            Text(stringResource(R.string.dispatch_work_log), style = MaterialTheme.typography.titleSmall)
            d.workLog.forEach { e ->
                Column {
                    Text(formatDateTime(e.at), style = MaterialTheme.typography.labelSmall)
                    Text(e.text)
                }
            }
            if (DispatchStep.LOG in d.steps) {
                OutlinedTextField(
                    value = ui.logText,
                    onValueChange = viewModel::onLogText,
                    label = { Text(stringResource(R.string.dispatch_log_hint)) },
                    minLines = 2,
                    modifier = Modifier.fillMaxWidth().testTag("dispatch-log-text"),
                )
                OutlinedButton(
                    onClick = viewModel::addLog,
                    enabled = ui.can(DispatchStep.LOG) && ui.logText.isNotBlank(),
                    modifier = Modifier.testTag(stepTag(DispatchStep.LOG)),
                ) { Text(stringResource(R.string.dispatch_log_add)) }
            }

            Text(stringResource(R.string.dispatch_parts, d.parts.size), style = MaterialTheme.typography.titleSmall)
            d.parts.forEach { p ->
                val serials = if (p.serials.isEmpty()) "" else " · " + p.serials.joinToString(", ")
                Text("${p.productId.orEmpty()} × ${formatQuantity(p.quantity)}$serials", style = MaterialTheme.typography.bodyMedium)
            }
            StepButton(DispatchStep.ADD_PART, R.string.dispatch_part_add, ui, outlined = true) { dialog = DialogKind.PART }

            Text(stringResource(R.string.visit_photos, d.photos.size), style = MaterialTheme.typography.titleSmall)
            if (d.photos.isNotEmpty()) {
                LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    items(d.photos, key = { it.sha256 }) { PhotoTile(it) }
                }
            }
            if (DispatchStep.ADD_PHOTO in d.steps) {
                OutlinedTextField(
                    value = caption,
                    onValueChange = { caption = it },
                    label = { Text(stringResource(R.string.visit_photo_caption)) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
                OutlinedButton(
                    onClick = {
                        val (file, uri) = newPhotoTarget(context)
                        pendingPhoto = file.path
                        camera.launch(uri)
                    },
                    enabled = ui.can(DispatchStep.ADD_PHOTO),
                    modifier = Modifier.testTag(stepTag(DispatchStep.ADD_PHOTO)),
                ) {
                    Icon(Icons.Filled.PhotoCamera, contentDescription = null)
                    Text(stringResource(R.string.visit_take_photo), modifier = Modifier.padding(start = 8.dp))
                }
            }

            // The end of the job.
            HorizontalDivider()
            Text(stringResource(R.string.dispatch_signature), style = MaterialTheme.typography.titleSmall)
            val signature = d.signature
            if (signature != null) PhotoTile(signature, side = 160.dp) else Text(stringResource(R.string.dispatch_not_signed))
            if (DispatchStep.SIGN in d.steps) {
                OutlinedButton(
                    onClick = { dialog = DialogKind.SIGNATURE },
                    enabled = ui.can(DispatchStep.SIGN),
                    modifier = Modifier.testTag(stepTag(DispatchStep.SIGN)),
                ) {
                    Icon(Icons.Filled.Draw, contentDescription = null)
                    Text(
                        stringResource(if (d.signature == null) R.string.dispatch_sign else R.string.dispatch_sign_again),
                        modifier = Modifier.padding(start = 8.dp),
                    )
                }
            }
            if (ui.needsSignature) {
                Text(stringResource(R.string.dispatch_needs_signature), style = MaterialTheme.typography.bodySmall)
            }
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                StepButton(DispatchStep.COMPLETE, R.string.dispatch_complete, ui) { viewModel.complete() }
                StepButton(DispatchStep.UNABLE, R.string.dispatch_unable, ui, outlined = true) { dialog = DialogKind.UNABLE }
            }
            d.completedAt?.let { Text(stringResource(R.string.dispatch_completed_at, formatDateTime(it))) }
            if (d.status == DispatchStatus.UNABLE && d.unableReason.isNotBlank()) {
                Text(stringResource(R.string.dispatch_unable_reason_shown, d.unableReason))
            }
            d.survey?.let { Text(stringResource(R.string.dispatch_survey_shown, it.score, it.comment)) }
            if (DispatchStep.SURVEY in d.steps && d.survey == null) SurveyForm(enabled = ui.can(DispatchStep.SURVEY), onSave = viewModel::survey)
        }
    }

    when (dialog) {
        DialogKind.SIGNATURE -> SignatureDialog(onDismiss = { dialog = null }) { png ->
            dialog = null
            viewModel.sign(png)
        }
        DialogKind.UNABLE -> ReasonDialog(onDismiss = { dialog = null }) { reason ->
            dialog = null
            viewModel.unable(reason)
        }
        DialogKind.PART -> PartDialog(
            results = ui.productResults,
            onSearch = viewModel::searchProducts,
            onDismiss = { dialog = null },
        ) { product, quantity, serials ->
            dialog = null
            viewModel.addPart(product, quantity, serials)
        }
        null -> Unit
    }
}

private enum class DialogKind { SIGNATURE, UNABLE, PART }

@Composable
private fun StepButton(step: DispatchStep, label: Int, ui: DispatchUiState, outlined: Boolean = false, onClick: () -> Unit) {
    val modifier = Modifier.testTag(stepTag(step))
    if (outlined) {
        OutlinedButton(onClick = onClick, enabled = ui.can(step), modifier = modifier) { Text(stringResource(label)) }
    } else {
        Button(onClick = onClick, enabled = ui.can(step), modifier = modifier) { Text(stringResource(label)) }
    }
}

@Composable
private fun JobCard(d: Dispatch, onCall: (String) -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(
                listOf(statusText(d.status), ticketTypeText(d.ticketType), priorityText(d.priority)).joinToString(" · "),
                style = MaterialTheme.typography.labelLarge,
            )
            if (d.description.isNotBlank()) Text(d.description, style = MaterialTheme.typography.bodyLarge)
            if (d.productSerial.isNotBlank()) Text(stringResource(R.string.dispatch_product_serial, d.productSerial))
            d.scheduledAt?.let { Text(stringResource(R.string.dispatch_scheduled, formatDateTime(it))) }
            d.slaDueAt?.let { Text(stringResource(R.string.dispatch_sla_due, formatDateTime(it))) }
            if (d.site.address.isNotBlank()) Text(d.site.address)
            if (d.site.contactName.isNotBlank() || d.site.contactPhone.isNotBlank()) {
                ListItem(
                    headlineContent = { Text(d.site.contactName) },
                    supportingContent = { Text(d.site.contactPhone) },
                    trailingContent = {
                        if (d.site.contactPhone.isNotBlank()) {
                            IconButton(onClick = { onCall(d.site.contactPhone) }) {
                                Icon(Icons.Filled.Call, contentDescription = stringResource(R.string.dispatch_call, d.site.contactName))
                            }
                        }
                    },
                )
            }
        }
    }
}

@Composable
private fun ReasonDialog(onDismiss: () -> Unit, onConfirm: (String) -> Unit) {
    var reason by rememberSaveable { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.dispatch_unable)) },
        text = {
            OutlinedTextField(
                value = reason,
                onValueChange = { reason = it },
                label = { Text(stringResource(R.string.dispatch_unable_reason)) },
                minLines = 2,
                modifier = Modifier.fillMaxWidth(),
            )
        },
        confirmButton = { TextButton(onClick = { onConfirm(reason.trim()) }, enabled = reason.isNotBlank()) { Text(stringResource(R.string.action_save)) } },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.action_cancel)) } },
    )
}

/**
 * A part: the product from the picker (or its id typed, while the phone has no catalog), the
 * quantity, serial numbers.
 */
@Composable
private fun PartDialog(
    results: List<ProductChoice>,
    onSearch: (String) -> Unit,
    onDismiss: () -> Unit,
    onConfirm: (product: String, quantity: Double, serials: String) -> Unit,
) {
    var query by rememberSaveable { mutableStateOf("") }
    var product by rememberSaveable { mutableStateOf("") }
    var label by rememberSaveable { mutableStateOf("") }
    var quantity by rememberSaveable { mutableStateOf("1") }
    var serials by rememberSaveable { mutableStateOf("") }
    val qty = quantity.replace(',', '.').toDoubleOrNull()?.takeIf { it > 0 }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.dispatch_part_add)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(
                    value = query,
                    onValueChange = { query = it; onSearch(it) },
                    label = { Text(stringResource(R.string.product_search)) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
                results.take(5).forEach { p ->
                    TextButton(onClick = { product = p.id; label = "${p.code} ${p.name}" }) { Text("${p.code} ${p.name}") }
                }
                if (label.isNotBlank()) {
                    Text(label, style = MaterialTheme.typography.bodyMedium)
                } else {
                    if (query.isNotBlank() && results.isEmpty()) Text(stringResource(R.string.product_no_catalog), style = MaterialTheme.typography.bodySmall)
                    OutlinedTextField(
                        value = product,
                        onValueChange = { product = it },
                        label = { Text(stringResource(R.string.product_id)) },
                        singleLine = true,
                        modifier = Modifier.fillMaxWidth(),
                    )
                }
                OutlinedTextField(
                    value = quantity,
                    onValueChange = { quantity = it },
                    label = { Text(stringResource(R.string.order_quantity)) },
                    singleLine = true,
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                    modifier = Modifier.fillMaxWidth(),
                )
                OutlinedTextField(
                    value = serials,
                    onValueChange = { serials = it },
                    label = { Text(stringResource(R.string.dispatch_part_serials)) },
                    supportingText = { Text(stringResource(R.string.field_list_hint)) },
                    modifier = Modifier.fillMaxWidth(),
                )
            }
        },
        confirmButton = {
            TextButton(onClick = { qty?.let { onConfirm(product, it, serials) } }, enabled = product.isNotBlank() && qty != null) {
                Text(stringResource(R.string.action_save))
            }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.action_cancel)) } },
    )
}

@Composable
private fun SurveyForm(enabled: Boolean, onSave: (Int, String) -> Unit) {
    var score by rememberSaveable { mutableIntStateOf(0) }
    var comment by rememberSaveable { mutableStateOf("") }
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(stringResource(R.string.dispatch_survey), style = MaterialTheme.typography.titleSmall)
        Row {
            for (n in 1..5) {
                IconButton(onClick = { score = n }, modifier = Modifier.testTag("survey-star-$n")) {
                    Icon(
                        if (n <= score) Icons.Filled.Star else Icons.Filled.StarBorder,
                        contentDescription = stringResource(R.string.dispatch_survey_score, n),
                    )
                }
            }
        }
        OutlinedTextField(
            value = comment,
            onValueChange = { comment = it },
            label = { Text(stringResource(R.string.dispatch_survey_comment)) },
            modifier = Modifier.fillMaxWidth(),
        )
        Button(
            onClick = { onSave(score, comment) },
            enabled = enabled && score in 1..5,
            modifier = Modifier.testTag(stepTag(DispatchStep.SURVEY)),
        ) { Text(stringResource(R.string.action_save)) }
    }
}
