// FieldError → the text a user reads, in their language.
package com.fieldcrm.app.ui.common

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import com.fieldcrm.app.R
import com.fieldcrm.kit.DraftProblem
import com.fieldcrm.kit.FieldError

/** The localized message for an error; input errors carry the core's reason (the bad field). */
@Composable
fun errorText(error: Throwable): String = when (error) {
    is FieldError.Offline -> stringResource(R.string.error_offline)
    is FieldError.Unauthorized -> stringResource(R.string.error_unauthorized)
    is FieldError.Forbidden -> stringResource(R.string.error_forbidden)
    is FieldError.NotFound -> stringResource(R.string.error_not_found)
    is FieldError.InvalidInput -> stringResource(R.string.error_invalid_input, error.reason)
    else -> stringResource(R.string.error_internal)
}

/** The localized message for a form problem. */
@Composable
fun problemText(problem: DraftProblem): String = when (problem) {
    DraftProblem.NAME_REQUIRED -> stringResource(R.string.problem_name_required)
    DraftProblem.EMAIL_INVALID -> stringResource(R.string.problem_email_invalid)
    DraftProblem.PHONE_INVALID -> stringResource(R.string.problem_phone_invalid)
}

/** The localized message for an order line problem. */
@Composable
fun lineProblemText(problem: com.fieldcrm.kit.OrderLineProblem): String = when (problem) {
    com.fieldcrm.kit.OrderLineProblem.PRODUCT_REQUIRED -> stringResource(R.string.problem_product_required)
    com.fieldcrm.kit.OrderLineProblem.QUANTITY_INVALID -> stringResource(R.string.problem_quantity_invalid)
    com.fieldcrm.kit.OrderLineProblem.DISCOUNT_INVALID -> stringResource(R.string.problem_discount_invalid)
    com.fieldcrm.kit.OrderLineProblem.DATE_INVALID -> stringResource(R.string.problem_date_invalid)
}
