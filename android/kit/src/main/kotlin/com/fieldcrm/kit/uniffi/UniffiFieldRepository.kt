// FieldRepository over the generated uniffi API (uniffi.fieldcrm_mobile, built from
// mobile-bindings by scripts/android-build.sh or scripts/kotlin-test.sh, never committed).
// Plain Kotlin + kotlinx-coroutines: no android.* import, so the JVM test compiles it with kotlinc.
package com.fieldcrm.kit.uniffi

import com.fieldcrm.kit.Connection
import com.fieldcrm.kit.ContactDraft
import com.fieldcrm.kit.Customer
import com.fieldcrm.kit.CustomerSummary
import com.fieldcrm.kit.Dispatch
import com.fieldcrm.kit.DispatchSummary
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.GeoFix
import com.fieldcrm.kit.Notice
import com.fieldcrm.kit.Order
import com.fieldcrm.kit.OrderLineDraft
import com.fieldcrm.kit.OrderSummary
import com.fieldcrm.kit.SyncState
import com.fieldcrm.kit.SyncSummary
import com.fieldcrm.kit.SyncUpdate
import com.fieldcrm.kit.UserSession
import com.fieldcrm.kit.Visit
import com.fieldcrm.kit.VisitSummary
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.flow.updateAndGet
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import uniffi.fieldcrm_mobile.FieldClient
import uniffi.fieldcrm_mobile.FieldException
import uniffi.fieldcrm_mobile.FieldValue
import uniffi.fieldcrm_mobile.LiveSyncHandle
import uniffi.fieldcrm_mobile.SyncEvent
import uniffi.fieldcrm_mobile.SyncListener

/**
 * The production [FieldRepository]: one [FieldClient] (one local store) per process.
 *
 * Live sync uses exactly one [SyncListener]; it turns every event into a [SyncUpdate] on
 * [updates] and keeps [syncState] current (connection from the events, counters re-read from the
 * store). Open it with [open]; [close] stops live sync and releases the native client.
 */
class UniffiFieldRepository private constructor(
    private val client: FieldClient,
) : FieldRepository {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val state = MutableStateFlow(SyncState())
    private val events = MutableSharedFlow<SyncUpdate>(
        extraBufferCapacity = 256,
        onBufferOverflow = BufferOverflow.DROP_OLDEST,
    )
    private val liveLock = Mutex()

    @Volatile
    private var live: LiveSyncHandle? = null
    private var refresher: Job? = null

    override val syncState: StateFlow<SyncState> = state.asStateFlow()
    override val updates: SharedFlow<SyncUpdate> = events.asSharedFlow()
    override val isLive: Boolean get() = live?.isRunning() == true

    /** The one listener of live sync: called on a background thread, in order; never blocks. */
    private inner class Bridge : SyncListener {
        override fun onEvent(event: SyncEvent) {
            val update = event.toModel()
            state.update { s ->
                when (update) {
                    is SyncUpdate.Connected -> s.copy(connection = Connection.CONNECTED, lastError = null)
                    is SyncUpdate.Disconnected -> s.copy(connection = Connection.OFFLINE, lastError = update.error)
                    else -> s
                }
            }
            events.tryEmit(update)
            scope.launch { runCatching { refreshState() } }
        }
    }

    private suspend inline fun <T> call(block: () -> T): T =
        try {
            block()
        } catch (e: FieldException) {
            val error = e.toFieldError()
            if (error is FieldError.Unauthorized) state.update { it.copy(signedIn = false) }
            throw error
        }

    /** A write followed by a state refresh (pending counters change). */
    private suspend inline fun <T> write(block: () -> T): T {
        val result = call(block)
        runCatching { refreshState() }
        return result
    }

    override suspend fun session(): UserSession? = call { client.session()?.toModel() }

    override suspend fun login(serverUrl: String, username: String, password: String, deviceName: String): UserSession {
        stopLiveSync()
        val session = call { client.login(serverUrl.trim().trimEnd('/'), username.trim(), password, deviceName) }
        refreshState()
        return session.toModel()
    }

    override suspend fun logout() {
        stopLiveSync()
        call { client.logout() }
        state.value = SyncState()
    }

    override suspend fun refreshState(): SyncState {
        val status = call { client.status() }
        return state.updateAndGet { s ->
            s.copy(
                signedIn = status.session != null,
                connection = if (status.session == null) Connection.OFFLINE else s.connection,
                pendingChanges = status.pendingDocs,
                pendingUploads = status.pendingUploads.clampToLong(),
                lastSyncAt = status.lastSyncAt,
                unseenNotices = status.unseenNotices,
                quarantined = status.quarantined.clampToLong(),
            )
        }
    }

    override suspend fun syncNow(): SyncSummary {
        if (!isLive) state.update { it.copy(connection = Connection.CONNECTING) }
        try {
            val report = call { client.syncNow() }
            if (!isLive) state.update { it.copy(connection = Connection.OFFLINE, lastError = null) }
            return report.toModel()
        } catch (e: FieldError) {
            if (!isLive) state.update { it.copy(connection = Connection.OFFLINE, lastError = e.reason) }
            throw e
        } finally {
            runCatching { refreshState() }
        }
    }

    override suspend fun startLiveSync() {
        liveLock.withLock {
            if (live?.isRunning() == true) return
            live?.close()
            state.update { it.copy(connection = Connection.CONNECTING) }
            live = client.startLive(Bridge())
            // An accepted push produces no event, so the counters are re-read while live
            // (a cheap local query) to keep the status bar's pending count honest.
            refresher = scope.launch {
                while (isActive) {
                    delay(LIVE_REFRESH_MS)
                    runCatching { refreshState() }
                }
            }
        }
    }

    override suspend fun stopLiveSync() {
        liveLock.withLock {
            val handle = live ?: return
            live = null
            refresher?.cancel()
            refresher = null
            handle.stop()
            handle.close()
            state.update { it.copy(connection = Connection.OFFLINE) }
        }
    }

    override suspend fun notices(): List<Notice> {
        val notices = call { client.notices() }.map { it.toModel() }
        runCatching { refreshState() }
        return notices
    }

    override suspend fun customers(query: String?, limit: Int, offset: Int): List<CustomerSummary> =
        call {
            client.listCustomers(query?.trim()?.ifEmpty { null }, limit.toUInt(), offset.toUInt())
        }.map { it.toModel() }

    override suspend fun customer(id: String): Customer = call { client.getCustomer(id) }.toModel()

    override suspend fun writableCustomerFields(): Set<String> = call { client.writableCustomerFields() }.toSet()

    override suspend fun createCustomer(name: String, fields: Map<String, String>): String =
        write { client.createCustomer(name.trim(), fields.toFieldValues()) }

    override suspend fun updateCustomer(id: String, fields: Map<String, String>) {
        if (fields.isEmpty()) return
        write { client.setCustomerFields(id, fields.toFieldValues()) }
    }

    override suspend fun addContact(customerId: String, contact: ContactDraft): String =
        write { client.addContact(customerId, contact.toInput()) }

    override suspend fun updateContact(customerId: String, contactId: String, contact: ContactDraft) {
        write { client.updateContact(customerId, contactId, contact.toInput()) }
    }

    override suspend fun removeContact(customerId: String, contactId: String) {
        write { client.removeContact(customerId, contactId) }
    }

    override suspend fun visits(customerId: String?, limit: Int, offset: Int): List<VisitSummary> =
        call { client.listVisits(customerId, limit.toUInt(), offset.toUInt()) }.map { it.toModel() }

    override suspend fun visit(id: String): Visit = call { client.getVisit(id) }.toModel()

    override suspend fun checkIn(customerId: String, fix: GeoFix?): String =
        write { client.startVisit(customerId, fix?.lat, fix?.lon, fix?.accuracyM) }

    override suspend fun setVisitNotes(visitId: String, notes: String) {
        write { client.setVisitNotes(visitId, notes) }
    }

    override suspend fun addVisitPhoto(visitId: String, bytes: ByteArray, contentType: String, caption: String): String =
        write { client.addVisitPhoto(visitId, bytes, contentType, caption) }

    override suspend fun checkOut(visitId: String, outcome: String, notes: String, fix: GeoFix?) {
        write { client.finishVisit(visitId, outcome.trim(), notes, fix?.lat, fix?.lon) }
    }

    override suspend fun orders(customerId: String?): List<OrderSummary> =
        call { client.listOrders(customerId) }.map { it.toModel() }

    override suspend fun order(id: String): Order = call { client.getOrder(id) }.toModel()

    override suspend fun createOrder(customerId: String, lines: List<OrderLineDraft>, notes: String): String =
        write { client.createOrder(customerId, lines.map { it.toInput() }, notes.trim()) }

    override suspend fun submitOrder(id: String) {
        write { client.submitOrder(id) }
    }

    override suspend fun cancelOrder(id: String, reason: String) {
        write { client.cancelOrder(id, reason) }
    }

    override suspend fun dispatches(): List<DispatchSummary> = call { client.listDispatches() }.map { it.toModel() }

    override suspend fun dispatch(id: String): Dispatch = call { client.getDispatch(id) }.toModel()

    override suspend fun acceptDispatch(id: String) {
        write { client.acceptDispatch(id) }
    }

    override suspend fun setDispatchEnRoute(id: String) {
        write { client.setDispatchEnRoute(id) }
    }

    override suspend fun checkInDispatch(id: String, fix: GeoFix?) {
        write { client.checkInDispatch(id, fix?.lat, fix?.lon, fix?.accuracyM) }
    }

    override suspend fun logDispatchWork(id: String, text: String) {
        write { client.logDispatchWork(id, text) }
    }

    override suspend fun addDispatchPart(id: String, productId: String, quantity: Double, serials: List<String>) {
        write { client.addDispatchPart(id, productId, quantity, serials) }
    }

    override suspend fun addDispatchPhoto(id: String, bytes: ByteArray, contentType: String, caption: String): String =
        write { client.addDispatchPhoto(id, bytes, contentType, caption) }

    override suspend fun signDispatch(id: String, png: ByteArray): String =
        write { client.signDispatch(id, png, "image/png") }

    override suspend fun completeDispatch(id: String) {
        write { client.completeDispatch(id) }
    }

    override suspend fun markDispatchUnable(id: String, reason: String) {
        write { client.markDispatchUnable(id, reason) }
    }

    override suspend fun recordDispatchSurvey(id: String, score: Int, comment: String) {
        write { client.recordDispatchSurvey(id, score.toLong(), comment) }
    }

    /** Stops live sync (without waiting) and releases the native client. */
    override fun close() {
        scope.cancel()
        live?.close()
        live = null
        client.close()
    }

    private fun Map<String, String>.toFieldValues(): List<FieldValue> = map { (k, v) -> FieldValue(k, v) }

    companion object {
        private const val LIVE_REFRESH_MS = 2_000L

        /** Opens (creating if needed) the local store in `dataDir`. */
        suspend fun open(dataDir: String): UniffiFieldRepository =
            try {
                UniffiFieldRepository(FieldClient.open(dataDir))
            } catch (e: FieldException) {
                throw e.toFieldError()
            }
    }
}
