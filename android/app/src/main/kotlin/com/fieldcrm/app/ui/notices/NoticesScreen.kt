// The notices list, newest first; unseen ones are marked.
package com.fieldcrm.app.ui.notices

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Block
import androidx.compose.material.icons.filled.ErrorOutline
import androidx.compose.material.icons.filled.RemoveCircleOutline
import androidx.compose.material.icons.filled.Restore
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
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.formatDateTime
import com.fieldcrm.kit.Notice
import com.fieldcrm.kit.NoticeKind

/** The notices; tapping one about a customer opens it. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun NoticesScreen(viewModel: NoticesViewModel, onBack: () -> Unit, onOpenCustomer: (String) -> Unit) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.notices_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                    }
                },
            )
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            if (ui.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp)) }
            if (!ui.loading && ui.notices.isEmpty()) Text(stringResource(R.string.notices_empty), modifier = Modifier.padding(16.dp))
            LazyColumn {
                items(ui.notices, key = { it.id }) { n ->
                    NoticeRow(n, onClick = { n.docId?.takeIf { n.kind != NoticeKind.REVOKED }?.let(onOpenCustomer) })
                    HorizontalDivider()
                }
            }
        }
    }
}

@Composable
private fun NoticeRow(n: Notice, onClick: () -> Unit) {
    val title = when (n.kind) {
        NoticeKind.COMPENSATED -> stringResource(R.string.notice_compensated)
        NoticeKind.REJECTED -> stringResource(R.string.notice_rejected)
        NoticeKind.REVOKED -> stringResource(R.string.notice_revoked)
        NoticeKind.ERROR -> stringResource(R.string.notice_error)
    }
    ListItem(
        headlineContent = { Text(title, fontWeight = if (n.seen) FontWeight.Normal else FontWeight.Bold) },
        supportingContent = { Text("${formatDateTime(n.at)} · ${n.message}") },
        leadingContent = {
            Icon(
                when (n.kind) {
                    NoticeKind.COMPENSATED -> Icons.Filled.Restore
                    NoticeKind.REJECTED -> Icons.Filled.Block
                    NoticeKind.REVOKED -> Icons.Filled.RemoveCircleOutline
                    NoticeKind.ERROR -> Icons.Filled.ErrorOutline
                },
                contentDescription = null,
            )
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}
