// The bar under the top app bar: connected/offline, pending changes and uploads, last sync.
package com.fieldcrm.app.ui.common

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Cloud
import androidx.compose.material.icons.filled.CloudOff
import androidx.compose.material.icons.filled.CloudSync
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import com.fieldcrm.app.R
import com.fieldcrm.kit.Connection
import com.fieldcrm.kit.SyncState

/** Test tag of the status bar. */
const val SYNC_STATUS_TAG = "sync-status"

/** Shows [state] in one line; colour says connected (primary) or not (surface variant). */
@Composable
fun SyncStatusBar(state: SyncState, modifier: Modifier = Modifier) {
    val connection = when (state.connection) {
        Connection.CONNECTED -> stringResource(R.string.sync_connected)
        Connection.CONNECTING -> stringResource(R.string.sync_connecting)
        Connection.OFFLINE -> stringResource(R.string.sync_offline)
    }
    val pending = if (state.pendingChanges > 0) {
        pluralStringResource(R.plurals.sync_pending, state.pendingChanges.toInt(), state.pendingChanges.toInt())
    } else {
        stringResource(R.string.sync_all_sent)
    }
    val uploads = if (state.pendingUploads > 0) {
        pluralStringResource(R.plurals.sync_uploads, state.pendingUploads.toInt(), state.pendingUploads.toInt())
    } else {
        null
    }
    val last = state.lastSyncAt?.let { stringResource(R.string.sync_last, formatDateTime(it)) }
        ?: stringResource(R.string.sync_never)
    val text = listOfNotNull(connection, pending, uploads, last).joinToString(" · ")
    val connected = state.connection == Connection.CONNECTED
    Row(
        modifier = modifier
            .fillMaxWidth()
            .background(if (connected) MaterialTheme.colorScheme.primaryContainer else MaterialTheme.colorScheme.surfaceVariant)
            .padding(horizontal = 16.dp, vertical = 6.dp)
            .testTag(SYNC_STATUS_TAG)
            .semantics { contentDescription = text },
        verticalAlignment = Alignment.CenterVertically,
        horizontalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Icon(
            imageVector = when (state.connection) {
                Connection.CONNECTED -> Icons.Filled.Cloud
                Connection.CONNECTING -> Icons.Filled.CloudSync
                Connection.OFFLINE -> Icons.Filled.CloudOff
            },
            contentDescription = null,
            modifier = Modifier.size(16.dp),
        )
        Text(text, style = MaterialTheme.typography.labelMedium, maxLines = 2)
    }
}
