// The screens and how they connect. Each destination builds its view model over the one
// FieldRepository; live sync events are turned into snackbars here, once for the whole app.
package com.fieldcrm.app.ui

import android.os.Build
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.SnackbarResult
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.navigation.NavHostController
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import com.fieldcrm.app.R
import com.fieldcrm.app.sync.SyncScheduler
import com.fieldcrm.app.ui.contact.ContactEditScreen
import com.fieldcrm.app.ui.contact.ContactEditViewModel
import com.fieldcrm.app.ui.customer.CustomerEditScreen
import com.fieldcrm.app.ui.customer.CustomerEditViewModel
import com.fieldcrm.app.ui.customer.CustomerScreen
import com.fieldcrm.app.ui.customer.CustomerViewModel
import com.fieldcrm.app.ui.customers.CustomerListScreen
import com.fieldcrm.app.ui.customers.CustomerListViewModel
import com.fieldcrm.app.ui.dispatch.DispatchListScreen
import com.fieldcrm.app.ui.dispatch.DispatchListViewModel
import com.fieldcrm.app.ui.dispatch.DispatchScreen
import com.fieldcrm.app.ui.dispatch.DispatchViewModel
import com.fieldcrm.app.ui.login.LoginScreen
import com.fieldcrm.app.ui.login.LoginViewModel
import com.fieldcrm.app.ui.notices.NoticesScreen
import com.fieldcrm.app.ui.notices.NoticesViewModel
import com.fieldcrm.app.ui.order.OrderEntryScreen
import com.fieldcrm.app.ui.order.OrderEntryViewModel
import com.fieldcrm.app.ui.order.OrderScreen
import com.fieldcrm.app.ui.order.OrderViewModel
import com.fieldcrm.app.ui.visit.VisitScreen
import com.fieldcrm.app.ui.visit.VisitViewModel
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.ProductCatalog
import com.fieldcrm.kit.SyncUpdate
import com.fieldcrm.kit.UserSession
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.launch

/** Route names. */
object Routes {
    const val LOGIN = "login"
    const val CUSTOMERS = "customers"
    const val CUSTOMER = "customer/{customerId}"
    const val CUSTOMER_EDIT = "customer/{customerId}/edit"
    const val CONTACT = "customer/{customerId}/contact?contactId={contactId}"
    const val VISIT = "visit/{visitId}"
    const val NOTICES = "notices"
    const val DISPATCHES = "dispatches"
    const val DISPATCH = "dispatch/{dispatchId}"
    const val ORDER_NEW = "order/new?customerId={customerId}"
    const val ORDER = "order/{orderId}"

    fun customer(id: String) = "customer/$id"
    fun customerEdit(id: String) = "customer/$id/edit"
    fun contact(customerId: String, contactId: String?) =
        "customer/$customerId/contact" + (contactId?.let { "?contactId=$it" } ?: "")
    fun visit(id: String) = "visit/$id"
    fun dispatch(id: String) = "dispatch/$id"
    fun newOrder(customerId: String?) = "order/new" + (customerId?.let { "?customerId=$it" } ?: "")
    fun order(id: String) = "order/$id"

    /** Where a signed-in user starts: an engineer at the jobs, everyone else at the customers. */
    fun home(session: UserSession?) = if (session?.role == "engineer") DISPATCHES else CUSTOMERS
}

/**
 * The whole app over `repo`; starts at login, the customer list or (engineers) the job list.
 * `openDispatch` carries a job to open (a tapped notification); it is reset once opened.
 */
@Composable
fun FieldCrmApp(
    repo: FieldRepository,
    session: UserSession?,
    openDispatch: MutableStateFlow<String?> = MutableStateFlow(null),
    nav: NavHostController = rememberNavController(),
) {
    val snackbar = remember { SnackbarHostState() }
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    // The product picker of order entry and of the parts form: the seam where the device's copy
    // of the catalog plugs in. Until it does, nothing is found and product ids are typed.
    val productCatalog = ProductCatalog.NONE

    LaunchedEffect(repo) {
        repo.updates.collect { u ->
            if (u is SyncUpdate.Arrived && u.kind == "dispatch") {
                // A new job: say so, with a shortcut to it.
                launch {
                    val text = context.resources.getQuantityString(R.plurals.snack_new_dispatches, u.docIds.size, u.docIds.size)
                    val open = snackbar.showSnackbar(text, actionLabel = context.getString(R.string.action_open), withDismissAction = true)
                    if (open == SnackbarResult.ActionPerformed) u.docIds.firstOrNull()?.let { nav.navigate(Routes.dispatch(it)) }
                }
                return@collect
            }
            val text = when (u) {
                is SyncUpdate.Compensated -> context.getString(R.string.snack_compensated, u.paths.joinToString(", "))
                is SyncUpdate.Rejected -> context.getString(R.string.snack_rejected, u.reason)
                is SyncUpdate.Revoked -> context.resources.getQuantityString(R.plurals.snack_revoked, u.docIds.size, u.docIds.size)
                is SyncUpdate.UploadsFinished -> if (u.failed > 0) context.getString(R.string.snack_uploads_failed, u.failed) else null
                else -> null
            }
            if (text != null) launch { snackbar.showSnackbar(text) }
        }
    }
    // A tapped notification: open its job (once signed in; the login screen comes first otherwise).
    LaunchedEffect(openDispatch) {
        openDispatch.filterNotNull().collect { id ->
            if (repo.session() != null) {
                nav.navigate(Routes.dispatch(id))
                openDispatch.value = null
            }
        }
    }
    // The session ended on the server (password changed, device revoked): back to login.
    LaunchedEffect(repo) {
        repo.syncState.map { it.signedIn }.distinctUntilChanged().drop(1).filter { !it }.collect {
            if (nav.currentDestination?.route != Routes.LOGIN) nav.navigate(Routes.LOGIN) { popUpTo(nav.graph.id) { inclusive = true } }
        }
    }

    fun logout() {
        scope.launch {
            runCatching { repo.logout() }
            SyncScheduler.cancelAll(context)
            if (nav.currentDestination?.route != Routes.LOGIN) nav.navigate(Routes.LOGIN) { popUpTo(nav.graph.id) { inclusive = true } }
        }
    }

    Scaffold(snackbarHost = { SnackbarHost(snackbar) }) { padding ->
        NavHost(nav, startDestination = if (session != null) Routes.home(session) else Routes.LOGIN, modifier = Modifier.padding(padding)) {
            composable(Routes.LOGIN) {
                val deviceName = "${Build.MANUFACTURER} ${Build.MODEL}"
                LoginScreen(viewModel { LoginViewModel(repo, deviceName) }) { skipped ->
                    SyncScheduler.schedulePeriodic(context)
                    if (skipped) {
                        SyncScheduler.syncWhenOnline(context)
                        scope.launch { snackbar.showSnackbar(context.getString(R.string.login_first_sync_later)) }
                    }
                    scope.launch {
                        val home = Routes.home(runCatching { repo.session() }.getOrNull())
                        nav.navigate(home) { popUpTo(Routes.LOGIN) { inclusive = true } }
                        // A notification tapped before signing in.
                        openDispatch.value?.let { nav.navigate(Routes.dispatch(it)); openDispatch.value = null }
                    }
                }
            }
            composable(Routes.DISPATCHES) {
                DispatchListScreen(
                    viewModel { DispatchListViewModel(repo) },
                    onOpen = { nav.navigate(Routes.dispatch(it)) },
                    onNotices = { nav.navigate(Routes.NOTICES) },
                    onLogout = ::logout,
                )
            }
            composable(Routes.DISPATCH, listOf(navArgument("dispatchId") { type = NavType.StringType })) { entry ->
                val id = entry.arguments?.getString("dispatchId").orEmpty()
                DispatchScreen(viewModel { DispatchViewModel(repo, id, productCatalog) }, onBack = { nav.popBackStack() })
            }
            composable(
                Routes.ORDER_NEW,
                listOf(navArgument("customerId") { type = NavType.StringType; nullable = true; defaultValue = null }),
            ) { entry ->
                val customerId = entry.arguments?.getString("customerId")
                OrderEntryScreen(
                    viewModel { OrderEntryViewModel(repo, customerId, productCatalog) },
                    onBack = { nav.popBackStack() },
                    onDone = { id -> nav.navigate(Routes.order(id)) { popUpTo(Routes.ORDER_NEW) { inclusive = true } } },
                )
            }
            composable(Routes.ORDER, listOf(navArgument("orderId") { type = NavType.StringType })) { entry ->
                val id = entry.arguments?.getString("orderId").orEmpty()
                OrderScreen(viewModel { OrderViewModel(repo, id) }, onBack = { nav.popBackStack() })
            }
            composable(Routes.CUSTOMERS) {
                CustomerListScreen(
                    viewModel { CustomerListViewModel(repo) },
                    onOpen = { nav.navigate(Routes.customer(it)) },
                    onNotices = { nav.navigate(Routes.NOTICES) },
                    onLogout = ::logout,
                )
            }
            composable(Routes.CUSTOMER, listOf(navArgument("customerId") { type = NavType.StringType })) { entry ->
                val id = entry.arguments?.getString("customerId").orEmpty()
                CustomerScreen(
                    viewModel { CustomerViewModel(repo, id) },
                    onBack = { nav.popBackStack() },
                    onEdit = { nav.navigate(Routes.customerEdit(id)) },
                    onAddContact = { nav.navigate(Routes.contact(id, null)) },
                    onEditContact = { nav.navigate(Routes.contact(id, it)) },
                    onOpenVisit = { nav.navigate(Routes.visit(it)) },
                    onNewOrder = { nav.navigate(Routes.newOrder(id)) },
                    onOpenOrder = { nav.navigate(Routes.order(it)) },
                )
            }
            composable(Routes.CUSTOMER_EDIT, listOf(navArgument("customerId") { type = NavType.StringType })) { entry ->
                val id = entry.arguments?.getString("customerId").orEmpty()
                CustomerEditScreen(viewModel { CustomerEditViewModel(repo, id) }, onDone = { nav.popBackStack() })
            }
            composable(
                Routes.CONTACT,
                listOf(
                    navArgument("customerId") { type = NavType.StringType },
                    navArgument("contactId") { type = NavType.StringType; nullable = true; defaultValue = null },
                ),
            ) { entry ->
                val customerId = entry.arguments?.getString("customerId").orEmpty()
                val contactId = entry.arguments?.getString("contactId")
                ContactEditScreen(viewModel { ContactEditViewModel(repo, customerId, contactId) }, onDone = { nav.popBackStack() })
            }
            composable(Routes.VISIT, listOf(navArgument("visitId") { type = NavType.StringType })) { entry ->
                val id = entry.arguments?.getString("visitId").orEmpty()
                VisitScreen(viewModel { VisitViewModel(repo, id) }, onBack = { nav.popBackStack() })
            }
            composable(Routes.NOTICES) {
                NoticesScreen(
                    viewModel { NoticesViewModel(repo) },
                    onBack = { nav.popBackStack() },
                    onOpenCustomer = { nav.navigate(Routes.customer(it)) },
                )
            }
        }
    }
}
