// The app's own models: plain Kotlin, independent of the generated bindings, so screens, view
// models and the fake never see a uniffi type.
package com.fieldcrm.kit

/** The signed-in user on this device. */
data class UserSession(
    val serverUrl: String,
    val userId: String,
    val username: String,
    val displayName: String,
    /** `rep`, `manager`, `engineer`, … */
    val role: String,
    val deviceId: String,
)

/** Company or private person. */
enum class CustomerKind { COMPANY, PERSON }

/** One row of the customer list. */
data class CustomerSummary(
    val id: String,
    val name: String,
    val code: String,
    val tier: String,
    val industry: String,
    val city: String,
    val district: String,
    val phones: List<String>,
    val email: String,
    val contacts: List<String>,
    /** Local edits not yet acknowledged by the server. */
    val pending: Boolean,
    /** Last local change, unix ms. */
    val updatedAt: Long,
)

/** A postal address. */
data class Address(
    val province: String = "",
    val city: String = "",
    val district: String = "",
    val street: String = "",
    val zip: String = "",
    val lat: Double? = null,
    val lon: Double? = null,
) {
    /** One line, most specific part last, empty parts skipped. */
    fun oneLine(): String = listOf(province, city, district, street).filter { it.isNotBlank() }.joinToString(" ")
}

/** A person at a customer. */
data class Contact(
    val id: String,
    val name: String,
    val title: String = "",
    val department: String = "",
    val phones: List<String> = emptyList(),
    val email: String = "",
    val role: String = "",
    val primary: Boolean = false,
    val notes: String = "",
) {
    /** The editable part of this contact. */
    fun toDraft(): ContactDraft = ContactDraft(name, title, department, phones, email, role, primary, notes)
}

/** A contact being added or edited. */
data class ContactDraft(
    val name: String = "",
    val title: String = "",
    val department: String = "",
    val phones: List<String> = emptyList(),
    val email: String = "",
    val role: String = "",
    val primary: Boolean = false,
    val notes: String = "",
) {
    /** What is wrong with this draft, or null when it can be saved. */
    fun problem(): DraftProblem? = when {
        name.isBlank() -> DraftProblem.NAME_REQUIRED
        email.isNotBlank() && !EMAIL.matches(email.trim()) -> DraftProblem.EMAIL_INVALID
        phones.any { p -> p.isNotBlank() && !PHONE.matches(p.trim()) } -> DraftProblem.PHONE_INVALID
        else -> null
    }

    private companion object {
        val EMAIL = Regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$")
        val PHONE = Regex("^[+0-9][0-9 ()-]{2,24}$")
    }
}

/** Why a draft cannot be saved (the app turns these into localized messages). */
enum class DraftProblem { NAME_REQUIRED, EMAIL_INVALID, PHONE_INVALID }

/** A customer in full, for its card. */
data class Customer(
    val id: String,
    val code: String,
    val name: String,
    val kind: CustomerKind,
    val tier: String,
    val industry: String,
    val source: String,
    val phones: List<String>,
    val email: String,
    val address: Address,
    val tags: List<String>,
    val birthday: String?,
    val interests: List<String>,
    val contacts: List<Contact>,
    val custom: Map<String, String>,
    val notes: String,
    /** Server-owned: never editable on the device. */
    val territory: String?,
    /** Server-owned: never editable on the device. */
    val owner: String?,
) {
    /** The text form of `field` as the edit form shows it (the facade's field names). */
    fun fieldText(field: String): String = when (field) {
        "name" -> name
        "code" -> code
        "kind" -> kind.name.lowercase()
        "tier" -> tier
        "industry" -> industry
        "source" -> source
        "email" -> email
        "phones" -> phones.joinToString(", ")
        "tags" -> tags.joinToString(", ")
        "interests" -> interests.joinToString(", ")
        "notes" -> notes
        "birthday" -> birthday.orEmpty()
        "address.province" -> address.province
        "address.city" -> address.city
        "address.district" -> address.district
        "address.street" -> address.street
        "address.zip" -> address.zip
        "territory" -> territory.orEmpty()
        "owner" -> owner.orEmpty()
        else -> if (field.startsWith("custom.")) custom[field.removePrefix("custom.")].orEmpty() else ""
    }

    companion object {
        /** The fields the customer edit form offers, in order. */
        val EDITABLE_FIELDS = listOf(
            "name", "code", "tier", "industry", "source", "phones", "email",
            "address.province", "address.city", "address.district", "address.street", "address.zip",
            "tags", "notes",
        )
    }
}

/** Where and when a check-in or check-out happened. */
data class CheckPoint(val at: Long, val lat: Double?, val lon: Double?, val accuracyM: Double?)

/** A photo of a visit or a dispatch (also a dispatch's signature image). */
data class VisitPhoto(
    /** Content hash (hex), the photo's identity. */
    val sha256: String,
    val contentType: String,
    val takenAt: Long,
    val caption: String,
    /** Whether the server has the bytes yet. */
    val uploaded: Boolean,
    /** The file on this device, if it is kept locally. */
    val localPath: String?,
)

/** One row of a visit list. */
data class VisitSummary(
    val id: String,
    val customerId: String,
    val customerName: String,
    val checkInAt: Long?,
    val checkOutAt: Long?,
    val purpose: String,
    val outcome: String,
    val photoCount: Int,
    val pending: Boolean,
) {
    /** Checked in and not yet out. */
    val open: Boolean get() = checkInAt != null && checkOutAt == null
}

/** A visit in full. */
data class Visit(
    val id: String,
    val customerId: String,
    val repId: String?,
    val checkIn: CheckPoint?,
    val checkOut: CheckPoint?,
    val purpose: String,
    val outcome: String,
    val notes: String,
    val nextStep: String,
    val photos: List<VisitPhoto>,
) {
    /** Checked in and not yet out: notes, photos and check-out are still possible. */
    val open: Boolean get() = checkIn != null && checkOut == null
}

/** A position fix from the phone (check-in/out). */
data class GeoFix(val lat: Double, val lon: Double, val accuracyM: Double?)

/** What a notice is about. */
enum class NoticeKind { COMPENSATED, REJECTED, REVOKED, ERROR }

/** Something the user must be told (a compensated or rejected edit, a revoked record, …). */
data class Notice(
    val id: Long,
    val at: Long,
    val kind: NoticeKind,
    val docId: String?,
    val message: String,
    val seen: Boolean,
)

/** The connection of live sync. */
enum class Connection { OFFLINE, CONNECTING, CONNECTED }

/** Everything the sync status bar shows. */
data class SyncState(
    val signedIn: Boolean = false,
    val connection: Connection = Connection.OFFLINE,
    /** Records with local changes the server has not acknowledged. */
    val pendingChanges: Long = 0,
    /** Photos waiting to be uploaded. */
    val pendingUploads: Long = 0,
    /** End of the last complete catch-up, unix ms. */
    val lastSyncAt: Long? = null,
    val unseenNotices: Long = 0,
    val quarantined: Long = 0,
    /** Why the last connection attempt failed, for the status bar. */
    val lastError: String? = null,
)

/** What one explicit sync did. */
data class SyncSummary(
    val docsReceived: Long,
    val pushed: Long,
    val accepted: Long,
    val compensated: Long,
    val rejected: Long,
    val revoked: Long,
)

/** One event of live sync, as delivered on [FieldRepository.updates]. */
sealed class SyncUpdate {
    data object Connected : SyncUpdate()
    data class Disconnected(val error: String?) : SyncUpdate()
    data class DocsReceived(val count: Long) : SyncUpdate()
    /** The server restored fields the user may not write. */
    data class Compensated(val docId: String, val paths: List<String>) : SyncUpdate()
    /** The server refused the document; its changes are quarantined. */
    data class Rejected(val docId: String, val reason: String) : SyncUpdate()
    data class Revoked(val docIds: List<String>) : SyncUpdate()
    /** Records new to this device (`kind`: customer, visit, order, dispatch), e.g. a new dispatch. */
    data class Arrived(val kind: String, val docIds: List<String>) : SyncUpdate()
    data class CaughtUp(val cursor: Long) : SyncUpdate()
    data class UploadsFinished(val uploaded: Long, val failed: Long) : SyncUpdate()
}

/** Where an order is in its life. */
enum class OrderStatus { DRAFT, SUBMITTED, CONFIRMED, PARTIALLY_SHIPPED, SHIPPED, COMPLETED, CANCELLED }

/** What the signed-in user may do with an order now (drives the order screen's buttons). */
enum class OrderStep { SUBMIT, CANCEL, EDIT_LINES }

/** One row of an order list. Money is in minor units (fen). */
data class OrderSummary(
    val id: String,
    val customerId: String,
    val customerName: String,
    /** `SO-2026-000123`, once the server accepted the order; null before its first sync. */
    val number: String?,
    val status: OrderStatus,
    /** ISO 4217; empty before the server priced the order. */
    val currency: String,
    /** The server's total (0 before pricing), minor units. */
    val total: Long,
    val lineCount: Int,
    val pending: Boolean,
    val updatedAt: Long,
)

/** A line being entered on a new order. */
data class OrderLineDraft(
    /** The product's id, as the product picker ([ProductCatalog]) returns it. */
    val productId: String,
    val quantity: Double,
    /** Discount asked for, basis points (1 % = 100); the server caps it at the role's limit. */
    val discountBp: Long = 0,
    /** `YYYY-MM-DD`. */
    val requestedDelivery: String? = null,
    val notes: String = "",
    /** What the picker showed for the product (not sent; the server fills the real name). */
    val label: String = "",
) {
    /** What is wrong with this line, or null when it can be added. */
    fun problem(): OrderLineProblem? = when {
        productId.isBlank() -> OrderLineProblem.PRODUCT_REQUIRED
        !(quantity > 0.0 && quantity <= 1.0e9) -> OrderLineProblem.QUANTITY_INVALID
        Math.abs(quantity * 1000.0 - Math.rint(quantity * 1000.0)) > 1e-6 -> OrderLineProblem.QUANTITY_INVALID
        discountBp !in 0..10_000 -> OrderLineProblem.DISCOUNT_INVALID
        requestedDelivery != null && requestedDelivery.isNotBlank() && !DATE.matches(requestedDelivery.trim()) ->
            OrderLineProblem.DATE_INVALID
        else -> null
    }

    private companion object {
        val DATE = Regex("^\\d{4}-\\d{2}-\\d{2}$")
    }
}

/** Why an order line cannot be added (the app turns these into localized messages). */
enum class OrderLineProblem { PRODUCT_REQUIRED, QUANTITY_INVALID, DISCOUNT_INVALID, DATE_INVALID }

/** A line of an order, with the server's prices once priced. */
data class OrderLine(
    val id: String,
    val productId: String?,
    /** Server: code, name and unit at pricing time (empty before). */
    val productCode: String,
    val productName: String,
    val unit: String,
    val quantity: Double,
    val discountBp: Long,
    val requestedDelivery: String?,
    val notes: String,
    /** Server: minor units. */
    val unitPrice: Long,
    /** Server: quantity × unit price − discount, minor units. */
    val lineTotal: Long,
    /** Server: why the line could not be priced; empty when fine. */
    val problem: String,
    val shippedQuantity: Double,
    val lots: List<String>,
)

/** An order in full. */
data class Order(
    val id: String,
    val customerId: String,
    val number: String?,
    val status: OrderStatus,
    val repId: String?,
    val lines: List<OrderLine>,
    val notes: String,
    val cancelReason: String,
    val currency: String,
    val subtotal: Long,
    val discountTotal: Long,
    val total: Long,
    /** What the signed-in user may do now. */
    val steps: Set<OrderStep>,
)

/** A product the order entry and the parts form can pick. */
data class ProductChoice(
    val id: String,
    val code: String,
    val name: String,
    val unit: String,
    /** List price in minor units, when the catalog on the device knows it (an estimate only). */
    val listPrice: Long? = null,
)

/**
 * Where order entry and the parts form find products: the seam for the product picker. The
 * device's copy of the catalog is not wired into the kit yet; until it is, [NONE] finds nothing
 * and the screens take a product id typed or scanned by the user.
 */
fun interface ProductCatalog {
    /** Products matching `query` (code or name), at most `limit`. */
    suspend fun search(query: String, limit: Int): List<ProductChoice>

    companion object {
        /** No catalog on the device: nothing is found. */
        val NONE = ProductCatalog { _, _ -> emptyList() }
    }
}

/** Where a dispatch is in its life. */
enum class DispatchStatus {
    ASSIGNED, ACCEPTED, EN_ROUTE, ON_SITE, COMPLETED, UNABLE, CANCELLED;

    /** The engineer's work on it is over. */
    val isFinal: Boolean get() = this == COMPLETED || this == UNABLE || this == CANCELLED
}

/** One step of an engineer's work on a dispatch (one repository method each). */
enum class DispatchStep { ACCEPT, EN_ROUTE, CHECK_IN, LOG, ADD_PART, ADD_PHOTO, SIGN, COMPLETE, UNABLE, SURVEY }

/** One row of the dispatch list. */
data class DispatchSummary(
    val id: String,
    /** `repair`, `installation`, `maintenance`, `complaint`. */
    val ticketType: String,
    /** `low`, `normal`, `high`, `urgent`. */
    val priority: String,
    val status: DispatchStatus,
    val customerName: String,
    val address: String,
    val scheduledAt: Long?,
    val slaDueAt: Long?,
    val pending: Boolean,
    val updatedAt: Long,
)

/** Where and whom the engineer goes to (read-only). */
data class Site(
    val customerName: String,
    val address: String,
    val lat: Double?,
    val lon: Double?,
    val contactName: String,
    val contactPhone: String,
)

/** One entry of a dispatch's work log. */
data class WorkLogEntry(val id: String, val at: Long, val text: String)

/** A part used on a dispatch. */
data class PartUsed(val id: String, val productId: String?, val quantity: Double, val serials: List<String>)

/** The customer's satisfaction after completion. */
data class Survey(val score: Int, val comment: String, val at: Long)

/** A dispatch in full, for the work screen. */
data class Dispatch(
    val id: String,
    val ticketId: String?,
    val customerId: String?,
    val engineerId: String?,
    val ticketType: String,
    val priority: String,
    val description: String,
    val productSerial: String,
    val slaDueAt: Long?,
    val site: Site,
    val scheduledAt: Long?,
    val status: DispatchStatus,
    val checkIn: CheckPoint?,
    val workLog: List<WorkLogEntry>,
    val parts: List<PartUsed>,
    val photos: List<VisitPhoto>,
    val signature: VisitPhoto?,
    val completedAt: Long?,
    val unableReason: String,
    val survey: Survey?,
    /** The steps the signed-in user may take now: each button is enabled by its step. */
    val steps: Set<DispatchStep>,
)

/** Whether `field` (e.g. `address.city`) is covered by the writable set (which holds top-level names). */
fun Set<String>.allows(field: String): Boolean =
    field in this || field.substringBefore('.') in this
