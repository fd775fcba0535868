// The visit screen: check-in facts, notes, photos (camera), outcome, check-out.
package com.fieldcrm.app.ui.visit

import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.PhotoCamera
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.PhotoTile
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.formatDateTime
import com.fieldcrm.app.ui.common.formatPosition
import com.fieldcrm.kit.CheckPoint
import java.io.File
import kotlinx.coroutines.launch

/** Test tag of the check-out button. */
const val CHECK_OUT_TAG = "visit-check-out"

/** One visit. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun VisitScreen(viewModel: VisitViewModel, onBack: () -> Unit, locator: Locator = FusedLocator(LocalContext.current)) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var caption by rememberSaveable { mutableStateOf("") }
    // The file the camera writes into survives process death as a path.
    var pendingPhoto by rememberSaveable { mutableStateOf<String?>(null) }
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
    fun checkOut() {
        viewModel.locating()
        scope.launch { viewModel.checkOut(locator.fix()) }
    }
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { checkOut() }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(ui.customerName.ifBlank { stringResource(R.string.visit_title) }) },
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
                VisitUiState.Busy.LOCATING -> Text(stringResource(R.string.visit_locating))
                VisitUiState.Busy.ADDING_PHOTO -> Text(stringResource(R.string.visit_adding_photo))
                VisitUiState.Busy.CHECKING_OUT -> Text(stringResource(R.string.visit_checking_out))
                null -> Unit
            }
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error) }
            val visit = ui.visit ?: return@Column
            CheckPointLine(stringResource(R.string.visit_checked_in), visit.checkIn)
            visit.checkOut?.let { CheckPointLine(stringResource(R.string.visit_checked_out), it) }

            OutlinedTextField(
                value = ui.notes,
                onValueChange = viewModel::onNotes,
                label = { Text(stringResource(R.string.field_notes)) },
                enabled = visit.open,
                minLines = 4,
                modifier = Modifier.fillMaxWidth().testTag("visit-notes"),
            )

            Text(stringResource(R.string.visit_photos, visit.photos.size), style = MaterialTheme.typography.titleSmall)
            if (visit.photos.isNotEmpty()) {
                LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    items(visit.photos, key = { it.sha256 }) { PhotoTile(it) }
                }
            }
            if (visit.open) {
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
                    enabled = ui.busy == null,
                ) {
                    Icon(Icons.Filled.PhotoCamera, contentDescription = null)
                    Text(stringResource(R.string.visit_take_photo), modifier = Modifier.padding(start = 8.dp))
                }
                OutlinedTextField(
                    value = ui.outcome,
                    onValueChange = viewModel::onOutcome,
                    label = { Text(stringResource(R.string.visit_outcome)) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth().testTag("visit-outcome"),
                )
                Button(
                    onClick = { if (locator.hasPermission()) checkOut() else permission.launch(LOCATION_PERMISSIONS) },
                    enabled = ui.busy == null,
                    modifier = Modifier.fillMaxWidth().testTag(CHECK_OUT_TAG),
                ) { Text(stringResource(R.string.visit_check_out)) }
            } else {
                if (visit.outcome.isNotBlank()) {
                    Text(stringResource(R.string.visit_outcome), style = MaterialTheme.typography.labelMedium)
                    Text(visit.outcome)
                }
            }
        }
    }
}

@Composable
private fun CheckPointLine(label: String, point: CheckPoint?) {
    Column {
        Text(label, style = MaterialTheme.typography.labelMedium)
        if (point == null) {
            Text(stringResource(R.string.visit_no_check_in))
        } else {
            Text(formatDateTime(point.at))
            Text(formatPosition(point.lat, point.lon, point.accuracyM) ?: stringResource(R.string.visit_no_position))
        }
    }
}
