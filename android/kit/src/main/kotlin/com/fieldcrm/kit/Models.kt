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

/** A photo of a visit. */
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
    data class CaughtUp(val cursor: Long) : SyncUpdate()
    data class UploadsFinished(val uploaded: Long, val failed: Long) : SyncUpdate()
}

/** Whether `field` (e.g. `address.city`) is covered by the writable set (which holds top-level names). */
fun Set<String>.allows(field: String): Boolean =
    field in this || field.substringBefore('.') in this
