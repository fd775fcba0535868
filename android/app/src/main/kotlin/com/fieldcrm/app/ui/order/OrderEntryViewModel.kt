// A new order, written on site (offline): the customer, then the lines — each product from the
// product picker (or its id typed while the phone has no catalog), a quantity, a discount asked for
// and a delivery date — then saved as a draft or submitted at once. The server prices it on sync.
package com.fieldcrm.app.ui.order

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import com.fieldcrm.kit.CustomerSummary
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.OrderLineDraft
import com.fieldcrm.kit.OrderLineProblem
import com.fieldcrm.kit.ProductCatalog
import com.fieldcrm.kit.ProductChoice
import java.math.BigDecimal
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The line being entered, as typed. */
data class LineForm(
    val productQuery: String = "",
    val productId: String = "",
    /** What the picker showed for the chosen product; empty when the id was typed. */
    val productLabel: String = "",
    val quantity: String = "1",
    /** Percent, as typed (`5`, `7.5`). */
    val discountPercent: String = "",
    /** `YYYY-MM-DD`. */
    val delivery: String = "",
) {
    /** The draft line, or why it cannot be one. */
    fun toDraft(): Pair<OrderLineDraft?, OrderLineProblem?> {
        val qty = quantity.trim().replace(',', '.').toDoubleOrNull() ?: return null to OrderLineProblem.QUANTITY_INVALID
        val bp = if (discountPercent.isBlank()) {
            0L
        } else {
            discountPercent.trim().replace(',', '.').toBigDecimalOrNull()
                ?.multiply(BigDecimal(100))?.let { runCatching { it.setScale(0, java.math.RoundingMode.HALF_UP).longValueExact() }.getOrNull() }
                ?: return null to OrderLineProblem.DISCOUNT_INVALID
        }
        val draft = OrderLineDraft(
            productId = productId.trim(),
            quantity = qty,
            discountBp = bp,
            requestedDelivery = delivery.trim().ifEmpty { null },
            label = productLabel.ifBlank { productId.trim() },
        )
        return draft.problem()?.let { null to it } ?: (draft to null)
    }
}

/** What the order entry screen shows. */
data class OrderEntryUiState(
    val customerId: String? = null,
    val customerName: String = "",
    /** Whether the customer was given (from its card) and cannot be changed here. */
    val customerFixed: Boolean = false,
    val customerQuery: String = "",
    val customerResults: List<CustomerSummary> = emptyList(),
    val lines: List<OrderLineDraft> = emptyList(),
    val form: LineForm = LineForm(),
    val productResults: List<ProductChoice> = emptyList(),
    /** Whether the picker has a catalog to search (else the product id is typed). */
    val catalogSearched: Boolean = false,
    val lineProblem: OrderLineProblem? = null,
    val notes: String = "",
    val saving: Boolean = false,
    val error: Throwable? = null,
    /** Set once saved: the new order's id. */
    val savedOrderId: String? = null,
) {
    enum class Step { CUSTOMER, LINES }

    val step: Step get() = if (customerId == null) Step.CUSTOMER else Step.LINES

    val canSave: Boolean get() = customerId != null && lines.isNotEmpty() && !saving && savedOrderId == null
}

/** Drives [OrderEntryScreen]. `customerId` is given when the rep starts from a customer's card. */
class OrderEntryViewModel(
    private val repo: FieldRepository,
    customerId: String?,
    private val catalog: ProductCatalog = ProductCatalog.NONE,
) : ViewModel() {
    private val state = MutableStateFlow(OrderEntryUiState(customerId = customerId, customerFixed = customerId != null))
    val ui: StateFlow<OrderEntryUiState> = state.asStateFlow()
    private var customerSearch: Job? = null
    private var productSearch: Job? = null

    init {
        if (customerId != null) {
            viewModelScope.launch {
                runCatching { repo.customer(customerId).name }.onSuccess { name -> state.update { it.copy(customerName = name) } }
            }
        } else {
            onCustomerQuery("")
        }
    }

    fun onCustomerQuery(q: String) {
        state.update { it.copy(customerQuery = q) }
        customerSearch?.cancel()
        customerSearch = viewModelScope.launch {
            try {
                val found = repo.customers(q, CUSTOMER_RESULTS, 0)
                state.update { it.copy(customerResults = found, error = null) }
            } catch (e: FieldError) {
                state.update { it.copy(error = e) }
            }
        }
    }

    fun pickCustomer(c: CustomerSummary) = state.update { it.copy(customerId = c.id, customerName = c.name) }

    /** Back to the customer step (only when the customer was not given). */
    fun changeCustomer() = state.update { if (it.customerFixed) it else it.copy(customerId = null, customerName = "") }

    fun onProductQuery(q: String) {
        state.update { it.copy(form = it.form.copy(productQuery = q)) }
        productSearch?.cancel()
        productSearch = viewModelScope.launch {
            val found = if (q.isBlank()) emptyList() else runCatching { catalog.search(q.trim(), PRODUCT_RESULTS) }.getOrDefault(emptyList())
            state.update { it.copy(productResults = found, catalogSearched = q.isNotBlank()) }
        }
    }

    fun pickProduct(p: ProductChoice) = state.update {
        it.copy(form = it.form.copy(productId = p.id, productLabel = "${p.code} ${p.name}".trim(), productQuery = ""), productResults = emptyList())
    }

    /** The product id typed by hand (no catalog on the phone yet). */
    fun onProductId(v: String) = state.update { it.copy(form = it.form.copy(productId = v, productLabel = ""), lineProblem = null) }

    fun onQuantity(v: String) = state.update { it.copy(form = it.form.copy(quantity = v), lineProblem = null) }

    fun onDiscount(v: String) = state.update { it.copy(form = it.form.copy(discountPercent = v), lineProblem = null) }

    fun onDelivery(v: String) = state.update { it.copy(form = it.form.copy(delivery = v), lineProblem = null) }

    /** Adds the form's line, or shows why it cannot be added. */
    fun addLine() = state.update {
        val (draft, problem) = it.form.toDraft()
        if (draft == null) it.copy(lineProblem = problem) else it.copy(lines = it.lines + draft, form = LineForm(), lineProblem = null)
    }

    fun removeLine(index: Int) = state.update { s -> s.copy(lines = s.lines.filterIndexed { i, _ -> i != index }) }

    fun onNotes(v: String) = state.update { it.copy(notes = v) }

    /** Saves the draft (committed locally); with `submit`, sends it to the office too. */
    fun save(submit: Boolean) {
        val s = state.value
        val customer = s.customerId ?: return
        if (!s.canSave) return
        state.update { it.copy(saving = true, error = null) }
        viewModelScope.launch {
            var id: String? = null
            try {
                id = repo.createOrder(customer, s.lines, s.notes)
                if (submit) repo.submitOrder(id)
                state.update { it.copy(saving = false, savedOrderId = id) }
            } catch (e: FieldError) {
                // A draft that was saved but not submitted is kept: the order screen submits it.
                state.update { it.copy(saving = false, error = e, savedOrderId = id) }
            }
        }
    }

    private companion object {
        const val CUSTOMER_RESULTS = 30
        const val PRODUCT_RESULTS = 20
    }
}
