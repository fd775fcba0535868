// Localized names of the workflow statuses and of the ticket vocabulary the server sends as codes.
package com.fieldcrm.app.ui.common

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import com.fieldcrm.app.R
import com.fieldcrm.kit.DispatchStatus
import com.fieldcrm.kit.OrderStatus

/** "Assigned", "On site", … */
@Composable
fun statusText(status: DispatchStatus): String = stringResource(
    when (status) {
        DispatchStatus.ASSIGNED -> R.string.dispatch_status_assigned
        DispatchStatus.ACCEPTED -> R.string.dispatch_status_accepted
        DispatchStatus.EN_ROUTE -> R.string.dispatch_status_en_route
        DispatchStatus.ON_SITE -> R.string.dispatch_status_on_site
        DispatchStatus.COMPLETED -> R.string.dispatch_status_completed
        DispatchStatus.UNABLE -> R.string.dispatch_status_unable
        DispatchStatus.CANCELLED -> R.string.dispatch_status_cancelled
    },
)

/** "Draft", "Submitted", … */
@Composable
fun statusText(status: OrderStatus): String = stringResource(
    when (status) {
        OrderStatus.DRAFT -> R.string.order_status_draft
        OrderStatus.SUBMITTED -> R.string.order_status_submitted
        OrderStatus.CONFIRMED -> R.string.order_status_confirmed
        OrderStatus.PARTIALLY_SHIPPED -> R.string.order_status_partially_shipped
        OrderStatus.SHIPPED -> R.string.order_status_shipped
        OrderStatus.COMPLETED -> R.string.order_status_completed
        OrderStatus.CANCELLED -> R.string.order_status_cancelled
    },
)

/** Repair, installation, maintenance, complaint; an unknown code as it is. */
@Composable
fun ticketTypeText(code: String): String = when (code) {
    "repair" -> stringResource(R.string.ticket_type_repair)
    "installation" -> stringResource(R.string.ticket_type_installation)
    "maintenance" -> stringResource(R.string.ticket_type_maintenance)
    "complaint" -> stringResource(R.string.ticket_type_complaint)
    else -> code
}

/** Low, normal, high, urgent; an unknown code as it is. */
@Composable
fun priorityText(code: String): String = when (code) {
    "low" -> stringResource(R.string.priority_low)
    "normal" -> stringResource(R.string.priority_normal)
    "high" -> stringResource(R.string.priority_high)
    "urgent" -> stringResource(R.string.priority_urgent)
    else -> code
}
