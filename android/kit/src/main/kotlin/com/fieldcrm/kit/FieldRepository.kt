// The app's only door to the field client. Screens and view models depend on this interface; the
// real implementation (UniffiFieldRepository) wraps the generated bindings, and
// FakeFieldRepository backs UI tests and previews.
package com.fieldcrm.kit

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.StateFlow

/**
 * The device's CRM data and its sync. Every write is committed locally first and survives the
 * process being killed; sync pushes it later. Every call may throw [FieldError].
 */
interface FieldRepository : AutoCloseable {
    /** The sync status bar's state; refreshed after every write, sync and live event. */
    val syncState: StateFlow<SyncState>

    /**
     * Live sync events (compensations, rejections, connection changes, uploads), hot: only
     * events after a collector subscribed are seen. The persistent record is [notices].
     */
    val updates: Flow<SyncUpdate>

    /** The session, if signed in. */
    suspend fun session(): UserSession?

    /** Signs in with a password, registering this device (another user's data is wiped first). */
    suspend fun login(serverUrl: String, username: String, password: String, deviceName: String): UserSession

    /** Stops live sync, forgets the session and wipes local data. */
    suspend fun logout()

    /** Re-reads pending work, last sync and notices into [syncState] and returns it. */
    suspend fun refreshState(): SyncState

    /** One full sync: catch up, push local work, wait for the verdicts. */
    suspend fun syncNow(): SyncSummary

    /** Starts staying connected (reconnecting with backoff); does nothing if already running. */
    suspend fun startLiveSync()

    /** Stops live sync; returns once it has ended. Does nothing if not running. */
    suspend fun stopLiveSync()

    /** Whether live sync is running. */
    val isLive: Boolean

    /** Every notice, newest first; marks them seen. */
    suspend fun notices(): List<Notice>

    /** Customers by name; `query` matches name, code, phones, e-mail, contacts, city, district. */
    suspend fun customers(query: String?, limit: Int, offset: Int): List<CustomerSummary>

    /** One customer in full. */
    suspend fun customer(id: String): Customer

    /** The customer fields the signed-in user may write (top-level names; see [allows]). */
    suspend fun writableCustomerFields(): Set<String>

    /** Creates a customer; `fields` as in [updateCustomer]. Returns its id. */
    suspend fun createCustomer(name: String, fields: Map<String, String>): String

    /** Sets fields (`tier`, `address.city`, `phones` = "a, b", `custom.KEY`; "" clears) in one change. */
    suspend fun updateCustomer(id: String, fields: Map<String, String>)

    /** Adds a contact to a customer; returns the contact's id. */
    suspend fun addContact(customerId: String, contact: ContactDraft): String

    /** Replaces a contact's fields. */
    suspend fun updateContact(customerId: String, contactId: String, contact: ContactDraft)

    /** Removes a contact. */
    suspend fun removeContact(customerId: String, contactId: String)

    /** Visits, newest first; of one customer or (null) all visible ones. */
    suspend fun visits(customerId: String?, limit: Int, offset: Int): List<VisitSummary>

    /** One visit in full. */
    suspend fun visit(id: String): Visit

    /** Checks in at a customer now; returns the visit's id. */
    suspend fun checkIn(customerId: String, fix: GeoFix?): String

    /** Replaces the notes of an open visit. */
    suspend fun setVisitNotes(visitId: String, notes: String)

    /** Attaches a photo (stored locally, uploaded by sync); returns its sha256. */
    suspend fun addVisitPhoto(visitId: String, bytes: ByteArray, contentType: String, caption: String): String

    /** Checks out of a visit now with its outcome and notes. */
    suspend fun checkOut(visitId: String, outcome: String, notes: String, fix: GeoFix?)

    // ----- orders (a rep's sales orders) -----

    /** Orders on the device, newest first; of one customer or (null) all. */
    suspend fun orders(customerId: String?): List<OrderSummary>

    /** One order in full, with the steps open to the user ([Order.steps]). */
    suspend fun order(id: String): Order

    /** Starts a draft order for a customer with `lines` (priced by the server on sync); returns its id. */
    suspend fun createOrder(customerId: String, lines: List<OrderLineDraft>, notes: String): String

    /** Sends a draft to the office ([OrderStep.SUBMIT]). */
    suspend fun submitOrder(id: String)

    /** Cancels an order with the reason ([OrderStep.CANCEL]). */
    suspend fun cancelOrder(id: String, reason: String)

    // ----- dispatches (an engineer's service jobs) -----

    /** The user's dispatches on the device, by scheduled time. */
    suspend fun dispatches(): List<DispatchSummary>

    /** One dispatch in full, with the steps open to the user ([Dispatch.steps]). */
    suspend fun dispatch(id: String): Dispatch

    /** [DispatchStep.ACCEPT]: takes the job. */
    suspend fun acceptDispatch(id: String)

    /** [DispatchStep.EN_ROUTE]: sets off. */
    suspend fun setDispatchEnRoute(id: String)

    /** [DispatchStep.CHECK_IN]: arrives now, with the position when there is a fix. */
    suspend fun checkInDispatch(id: String, fix: GeoFix?)

    /** [DispatchStep.LOG]: adds a work log entry. */
    suspend fun logDispatchWork(id: String, text: String)

    /** [DispatchStep.ADD_PART]: records a part used (serials of serial-tracked parts). */
    suspend fun addDispatchPart(id: String, productId: String, quantity: Double, serials: List<String>)

    /** [DispatchStep.ADD_PHOTO]: attaches a photo (uploaded by sync); returns its sha256. */
    suspend fun addDispatchPhoto(id: String, bytes: ByteArray, contentType: String, caption: String): String

    /** [DispatchStep.SIGN]: the customer's signature as a PNG image; returns its sha256. */
    suspend fun signDispatch(id: String, png: ByteArray): String

    /** [DispatchStep.COMPLETE]: finishes the job (needs the check-in and the signature). */
    suspend fun completeDispatch(id: String)

    /** [DispatchStep.UNABLE]: gives up, with the reason. */
    suspend fun markDispatchUnable(id: String, reason: String)

    /** [DispatchStep.SURVEY]: the customer's satisfaction (1–5) after completion. */
    suspend fun recordDispatchSurvey(id: String, score: Int, comment: String)
}
