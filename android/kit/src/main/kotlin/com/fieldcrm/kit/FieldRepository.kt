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
}
