// The home screen: search, the sync status bar, customers (pending ones marked), notices badge.
package com.fieldcrm.app.ui.customers

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.lazy.rememberLazyListState
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.Logout
import androidx.compose.material.icons.filled.CloudUpload
import androidx.compose.material.icons.filled.MoreVert
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material.icons.filled.Search
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
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.material3.pulltorefresh.PullToRefreshBox
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.derivedStateOf
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.SyncStatusBar
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.kit.CustomerSummary

/** Test tag of the search field. */
const val CUSTOMER_SEARCH_TAG = "customer-search"

/** The customer list. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun CustomerListScreen(
    viewModel: CustomerListViewModel,
    onOpen: (String) -> Unit,
    onNotices: () -> Unit,
    onLogout: () -> Unit,
) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    val sync by viewModel.sync.collectAsStateWithLifecycle()
    var menu by remember { mutableStateOf(false) }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.customers_title)) },
                actions = {
                    IconButton(onClick = viewModel::syncNow, enabled = !ui.syncing) {
                        Icon(Icons.Filled.Sync, contentDescription = stringResource(R.string.action_sync_now))
                    }
                    IconButton(onClick = onNotices) {
                        BadgedBox(badge = {
                            if (sync.unseenNotices > 0) Badge { Text(sync.unseenNotices.toString()) }
                        }) {
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
            OutlinedTextField(
                value = ui.query,
                onValueChange = viewModel::onQuery,
                leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
                placeholder = { Text(stringResource(R.string.customers_search_hint)) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp).testTag(CUSTOMER_SEARCH_TAG),
            )
            if (ui.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
            ui.error?.let {
                Text(errorText(it), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp))
            }
            PullToRefreshBox(isRefreshing = ui.syncing, onRefresh = viewModel::syncNow, modifier = Modifier.fillMaxSize()) {
                CustomerList(ui, onOpen, viewModel::loadMore)
            }
        }
    }
}

@Composable
private fun CustomerList(ui: CustomerListUiState, onOpen: (String) -> Unit, loadMore: () -> Unit) {
    val listState = rememberLazyListState()
    val nearEnd by remember {
        derivedStateOf {
            val last = listState.layoutInfo.visibleItemsInfo.lastOrNull()?.index ?: 0
            last >= listState.layoutInfo.totalItemsCount - 10
        }
    }
    LaunchedEffect(nearEnd, ui.customers.size) { if (nearEnd) loadMore() }
    if (!ui.loading && ui.customers.isEmpty()) {
        Box(Modifier.fillMaxSize().padding(24.dp)) {
            Text(
                if (ui.query.isBlank()) stringResource(R.string.customers_empty) else stringResource(R.string.customers_no_match, ui.query),
                style = MaterialTheme.typography.bodyLarge,
            )
        }
        return
    }
    LazyColumn(state = listState, modifier = Modifier.fillMaxSize()) {
        items(ui.customers, key = { it.id }) { c ->
            CustomerRow(c, onClick = { onOpen(c.id) })
            HorizontalDivider()
        }
    }
}

@Composable
private fun CustomerRow(c: CustomerSummary, onClick: () -> Unit) {
    val place = listOf(c.city, c.district).filter { it.isNotBlank() }.joinToString(" ")
    val detail = listOf(c.code, c.tier.takeIf { it.isNotBlank() }?.let { stringResource(R.string.customer_tier_short, it) }, place)
        .filter { !it.isNullOrBlank() }.joinToString(" · ")
    ListItem(
        headlineContent = { Text(c.name) },
        supportingContent = {
            Column {
                Text(detail)
                if (c.contacts.isNotEmpty()) Text(c.contacts.joinToString(", "), style = MaterialTheme.typography.bodySmall)
            }
        },
        trailingContent = {
            if (c.pending) Icon(Icons.Filled.CloudUpload, contentDescription = stringResource(R.string.pending_not_sent))
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}
