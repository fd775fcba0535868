// The engineer's home screen: today's and upcoming jobs first, then the finished ones; the sync
// status bar; asks once for permission to notify about new jobs.
package com.fieldcrm.app.ui.dispatch

import android.Manifest
import android.os.Build
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.Logout
import androidx.compose.material.icons.filled.CloudUpload
import androidx.compose.material.icons.filled.MoreVert
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material.icons.filled.Sync
import androidx.compose.material3.Badge
import androidx.compose.material3.BadgedBox
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.material3.pulltorefresh.PullToRefreshBox
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.sync.DispatchNotifier
import com.fieldcrm.app.ui.common.SyncStatusBar
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.formatDateTime
import com.fieldcrm.app.ui.common.priorityText
import com.fieldcrm.app.ui.common.statusText
import com.fieldcrm.app.ui.common.ticketTypeText
import com.fieldcrm.kit.DispatchSummary

/** Test tag of the dispatch list. */
const val DISPATCH_LIST_TAG = "dispatch-list"

/** The engineer's jobs. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun DispatchListScreen(
    viewModel: DispatchListViewModel,
    onOpen: (String) -> Unit,
    onNotices: () -> Unit,
    onLogout: () -> Unit,
) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    val sync by viewModel.sync.collectAsStateWithLifecycle()
    var menu by remember { mutableStateOf(false) }
    val context = LocalContext.current
    // New jobs are announced by a notification: ask for the permission where Android requires it.
    val notifications = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) {}
    LaunchedEffect(Unit) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU && !DispatchNotifier.canNotify(context)) {
            notifications.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.dispatches_title)) },
                actions = {
                    IconButton(onClick = viewModel::syncNow, enabled = !ui.syncing) {
                        Icon(Icons.Filled.Sync, contentDescription = stringResource(R.string.action_sync_now))
                    }
                    IconButton(onClick = onNotices) {
                        BadgedBox(badge = { if (sync.unseenNotices > 0) Badge { Text(sync.unseenNotices.toString()) } }) {
                            Icon(Icons.Filled.Notifications, contentDescription = stringResource(R.string.notices_title))
                        }
                    }
                    IconButton(onClick = { menu = true }) {
                        Icon(Icons.Filled.MoreVert, contentDescription = stringResource(R.string.action_more))
                    }
                    DropdownMenu(expanded = menu, onDismissRequest = { menu = false }) {
                        DropdownMenuItem(
                            text = { Text(stringResource(R.string.action_logout)) },
                            leadingIcon = { Icon(Icons.AutoMirrored.Filled.Logout, contentDescription = null) },
                            onClick = { menu = false; onLogout() },
                        )
                    }
                },
            )
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            SyncStatusBar(sync)
            if (ui.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp)) }
            PullToRefreshBox(isRefreshing = ui.syncing, onRefresh = viewModel::syncNow, modifier = Modifier.fillMaxSize()) {
                if (!ui.loading && ui.dispatches.isEmpty()) {
                    Box(Modifier.fillMaxSize().padding(24.dp)) {
                        Text(stringResource(R.string.dispatches_empty), style = MaterialTheme.typography.bodyLarge)
                    }
                } else {
                    LazyColumn(Modifier.fillMaxSize().testTag(DISPATCH_LIST_TAG)) {
                        items(ui.open, key = { it.id }) { d ->
                            DispatchRow(d) { onOpen(d.id) }
                            HorizontalDivider()
                        }
                        if (ui.closed.isNotEmpty()) {
                            item {
                                Text(
                                    stringResource(R.string.dispatches_closed),
                                    style = MaterialTheme.typography.titleSmall,
                                    modifier = Modifier.padding(start = 16.dp, top = 16.dp, bottom = 4.dp),
                                )
                            }
                            items(ui.closed, key = { it.id }) { d ->
                                DispatchRow(d) { onOpen(d.id) }
                                HorizontalDivider()
                            }
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun DispatchRow(d: DispatchSummary, onClick: () -> Unit) {
    val overdue = d.slaDueAt?.let { it < System.currentTimeMillis() && !d.status.isFinal } == true
    ListItem(
        overlineContent = {
            Text(listOf(statusText(d.status), ticketTypeText(d.ticketType), priorityText(d.priority)).joinToString(" · "))
        },
        headlineContent = { Text(d.customerName) },
        supportingContent = {
            Column {
                if (d.address.isNotBlank()) Text(d.address)
                d.scheduledAt?.let { Text(stringResource(R.string.dispatch_scheduled, formatDateTime(it))) }
                d.slaDueAt?.let {
                    Text(
                        stringResource(R.string.dispatch_sla_due, formatDateTime(it)),
                        color = if (overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant,
                        style = MaterialTheme.typography.bodySmall,
                    )
                }
            }
        },
        trailingContent = {
            if (d.pending) Icon(Icons.Filled.CloudUpload, contentDescription = stringResource(R.string.pending_not_sent))
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}
