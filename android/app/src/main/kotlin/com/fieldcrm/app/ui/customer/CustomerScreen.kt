// The customer card: Details / Contacts / Visits / Orders tabs, edit, add contact, check in, new order.
package com.fieldcrm.app.ui.customer

import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.AddShoppingCart
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material.icons.filled.Edit
import androidx.compose.material.icons.filled.PersonAdd
import androidx.compose.material.icons.filled.Place
import androidx.compose.material.icons.filled.Star
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Tab
import androidx.compose.material3.TabRow
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
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
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.common.formatDateTime
import com.fieldcrm.app.ui.common.formatMoney
import com.fieldcrm.app.ui.common.statusText
import com.fieldcrm.app.ui.visit.FusedLocator
import com.fieldcrm.app.ui.visit.LOCATION_PERMISSIONS
import com.fieldcrm.app.ui.visit.Locator
import com.fieldcrm.kit.Contact
import com.fieldcrm.kit.Customer
import com.fieldcrm.kit.OrderSummary
import com.fieldcrm.kit.VisitSummary
import kotlinx.coroutines.launch

/** The card of one customer. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun CustomerScreen(
    viewModel: CustomerViewModel,
    onBack: () -> Unit,
    onEdit: () -> Unit,
    onAddContact: () -> Unit,
    onEditContact: (String) -> Unit,
    onOpenVisit: (String) -> Unit,
    onNewOrder: () -> Unit = {},
    onOpenOrder: (String) -> Unit = {},
    locator: Locator = FusedLocator(LocalContext.current),
) {
    val ui by viewModel.ui.collectAsStateWithLifecycle()
    var tab by rememberSaveable { mutableIntStateOf(0) }
    val scope = rememberCoroutineScope()
    var locating by remember { mutableStateOf(false) }
    LaunchedEffect(Unit) { viewModel.openVisit.collect { onOpenVisit(it) } }

    fun checkInWithFix() {
        locating = true
        scope.launch {
            val fix = locator.fix()
            locating = false
            viewModel.checkIn(fix)
        }
    }
    // Asked at the first check-in; a refusal still checks in, without a position.
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { checkInWithFix() }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(ui.customer?.name ?: stringResource(R.string.customer_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                    }
                },
                actions = {
                    if (ui.customer != null) {
                        IconButton(onClick = onEdit) {
                            Icon(Icons.Filled.Edit, contentDescription = stringResource(R.string.action_edit))
                        }
                    }
                },
            )
        },
        floatingActionButton = {
            if (ui.customer != null) {
                val open = ui.openVisit
                ExtendedFloatingActionButton(
                    text = { Text(stringResource(if (open != null) R.string.visit_continue else R.string.visit_check_in)) },
                    icon = { Icon(Icons.Filled.Place, contentDescription = null) },
                    expanded = !(ui.checkingIn || locating),
                    onClick = {
                        when {
                            open != null -> onOpenVisit(open.id)
                            ui.checkingIn || locating -> Unit
                            locator.hasPermission() -> checkInWithFix()
                            else -> permission.launch(LOCATION_PERMISSIONS)
                        }
                    },
                )
            }
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            if (ui.loading || ui.checkingIn || locating) LinearProgressIndicator(Modifier.fillMaxWidth())
            if (locating) Text(stringResource(R.string.visit_locating), modifier = Modifier.padding(16.dp))
            ui.error?.let { Text(errorText(it), color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp)) }
            if (ui.gone) {
                Text(stringResource(R.string.customer_gone), modifier = Modifier.padding(16.dp))
                return@Column
            }
            val customer = ui.customer ?: return@Column
            TabRow(selectedTabIndex = tab) {
                Tab(selected = tab == 0, onClick = { tab = 0 }, text = { Text(stringResource(R.string.tab_details)) })
                Tab(selected = tab == 1, onClick = { tab = 1 }, text = { Text(stringResource(R.string.tab_contacts, customer.contacts.size)) })
                Tab(selected = tab == 2, onClick = { tab = 2 }, text = { Text(stringResource(R.string.tab_visits)) })
                Tab(selected = tab == 3, onClick = { tab = 3 }, text = { Text(stringResource(R.string.tab_orders)) })
            }
            when (tab) {
                0 -> Details(customer)
                1 -> Contacts(customer.contacts, onAddContact, onEditContact, viewModel::removeContact)
                2 -> Visits(ui.visits, onOpenVisit)
                else -> Orders(ui.orders, onNewOrder, onOpenOrder)
            }
        }
    }
}

@Composable
private fun Field(label: String, value: String) {
    if (value.isBlank()) return
    Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 6.dp)) {
        Text(label, style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
        Text(value, style = MaterialTheme.typography.bodyLarge)
    }
}

@Composable
private fun Details(c: Customer) {
    Column(Modifier.verticalScroll(rememberScrollState()).padding(vertical = 8.dp)) {
        Field(stringResource(R.string.field_code), c.code)
        Field(stringResource(R.string.field_tier), c.tier)
        Field(stringResource(R.string.field_industry), c.industry)
        Field(stringResource(R.string.field_source), c.source)
        Field(stringResource(R.string.field_phones), c.phones.joinToString(", "))
        Field(stringResource(R.string.field_email), c.email)
        Field(stringResource(R.string.field_address), c.address.oneLine())
        Field(stringResource(R.string.field_tags), c.tags.joinToString(", "))
        c.custom.toSortedMap().forEach { (k, v) -> Field(k, v) }
        Field(stringResource(R.string.field_notes), c.notes)
    }
}

@Composable
private fun Contacts(contacts: List<Contact>, onAdd: () -> Unit, onEdit: (String) -> Unit, onRemove: (String) -> Unit) {
    var confirm by remember { mutableStateOf<Contact?>(null) }
    LazyColumn(Modifier.fillMaxSize()) {
        item {
            ListItem(
                headlineContent = { Text(stringResource(R.string.contact_add)) },
                leadingContent = { Icon(Icons.Filled.PersonAdd, contentDescription = null) },
                modifier = Modifier.clickable(onClick = onAdd),
            )
            HorizontalDivider()
        }
        items(contacts, key = { it.id }) { k ->
            ListItem(
                headlineContent = { Text(k.name) },
                supportingContent = {
                    Text(listOf(k.title, k.department, k.phones.joinToString(", "), k.email).filter { it.isNotBlank() }.joinToString(" · "))
                },
                leadingContent = { if (k.primary) Icon(Icons.Filled.Star, contentDescription = stringResource(R.string.contact_primary)) },
                trailingContent = {
                    IconButton(onClick = { confirm = k }) {
                        Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.contact_remove, k.name))
                    }
                },
                modifier = Modifier.clickable { onEdit(k.id) },
            )
            HorizontalDivider()
        }
    }
    confirm?.let { k ->
        AlertDialog(
            onDismissRequest = { confirm = null },
            title = { Text(stringResource(R.string.contact_remove, k.name)) },
            text = { Text(stringResource(R.string.contact_remove_confirm)) },
            confirmButton = { TextButton(onClick = { onRemove(k.id); confirm = null }) { Text(stringResource(R.string.action_remove)) } },
            dismissButton = { TextButton(onClick = { confirm = null }) { Text(stringResource(R.string.action_cancel)) } },
        )
    }
}

@Composable
private fun Visits(visits: List<VisitSummary>, onOpen: (String) -> Unit) {
    if (visits.isEmpty()) {
        Text(stringResource(R.string.visits_empty), modifier = Modifier.padding(16.dp))
        return
    }
    LazyColumn(Modifier.fillMaxSize(), verticalArrangement = Arrangement.Top) {
        items(visits, key = { it.id }) { v ->
            ListItem(
                headlineContent = {
                    Text(v.checkInAt?.let { formatDateTime(it) } ?: stringResource(R.string.visit_no_check_in))
                },
                supportingContent = {
                    val status = if (v.open) stringResource(R.string.visit_open) else v.outcome.ifBlank { stringResource(R.string.visit_done) }
                    val photos = if (v.photoCount > 0) stringResource(R.string.visit_photo_count, v.photoCount) else null
                    val pending = if (v.pending) stringResource(R.string.pending_not_sent) else null
                    Text(listOfNotNull(v.purpose.ifBlank { null }, status, photos, pending).joinToString(" · "))
                },
                modifier = Modifier.clickable { onOpen(v.id) },
            )
            HorizontalDivider()
        }
    }
}

@Composable
private fun Orders(orders: List<OrderSummary>, onNew: () -> Unit, onOpen: (String) -> Unit) {
    LazyColumn(Modifier.fillMaxSize()) {
        item {
            ListItem(
                headlineContent = { Text(stringResource(R.string.order_new_title)) },
                leadingContent = { Icon(Icons.Filled.AddShoppingCart, contentDescription = null) },
                modifier = Modifier.clickable(onClick = onNew).testTag("customer-new-order"),
            )
            HorizontalDivider()
        }
        if (orders.isEmpty()) item { Text(stringResource(R.string.orders_empty), modifier = Modifier.padding(16.dp)) }
        items(orders, key = { it.id }) { o ->
            ListItem(
                headlineContent = { Text(o.number ?: stringResource(R.string.order_no_number)) },
                supportingContent = {
                    val total = if (o.currency.isNotBlank()) formatMoney(o.total, o.currency) else null
                    val pending = if (o.pending) stringResource(R.string.pending_not_sent) else null
                    Text(listOfNotNull(statusText(o.status), stringResource(R.string.order_lines, o.lineCount), total, pending).joinToString(" · "))
                },
                modifier = Modifier.clickable { onOpen(o.id) },
            )
            HorizontalDivider()
        }
    }
}
