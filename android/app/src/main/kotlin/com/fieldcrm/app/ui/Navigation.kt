// The screens and how they connect. Each destination builds its view model over the one
// FieldRepository; live sync events are turned into snackbars here, once for the whole app.
package com.fieldcrm.app.ui

import android.os.Build
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
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
import com.fieldcrm.app.ui.login.LoginScreen
import com.fieldcrm.app.ui.login.LoginViewModel
import com.fieldcrm.app.ui.notices.NoticesScreen
import com.fieldcrm.app.ui.notices.NoticesViewModel
import com.fieldcrm.app.ui.visit.VisitScreen
import com.fieldcrm.app.ui.visit.VisitViewModel
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.SyncUpdate
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.filter
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

    fun customer(id: String) = "customer/$id"
    fun customerEdit(id: String) = "customer/$id/edit"
    fun contact(customerId: String, contactId: String?) =
        "customer/$customerId/contact" + (contactId?.let { "?contactId=$it" } ?: "")
    fun visit(id: String) = "visit/$id"
}

/** The whole app over `repo`; starts at login or the customer list. */
@Composable
fun FieldCrmApp(repo: FieldRepository, signedIn: Boolean, nav: NavHostController = rememberNavController()) {
    val snackbar = remember { SnackbarHostState() }
    val context = LocalContext.current
    val scope = rememberCoroutineScope()

    LaunchedEffect(repo) {
        repo.updates.collect { u ->
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
        NavHost(nav, startDestination = if (signedIn) Routes.CUSTOMERS else Routes.LOGIN, modifier = Modifier.padding(padding)) {
            composable(Routes.LOGIN) {
                val deviceName = "${Build.MANUFACTURER} ${Build.MODEL}"
                LoginScreen(viewModel { LoginViewModel(repo, deviceName) }) { skipped ->
                    SyncScheduler.schedulePeriodic(context)
                    if (skipped) {
                        SyncScheduler.syncWhenOnline(context)
                        scope.launch { snackbar.showSnackbar(context.getString(R.string.login_first_sync_later)) }
                    }
                    nav.navigate(Routes.CUSTOMERS) { popUpTo(Routes.LOGIN) { inclusive = true } }
                }
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
