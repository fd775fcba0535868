// An in-memory FieldRepository for UI tests, view-model tests and Compose previews. It behaves
// like the real one where screens can tell: local writes are pending until syncNow, fields outside
// the writable set come back compensated on sync (with a notice and a SyncUpdate), orders and
// dispatches follow the same workflow steps as the core (illegal steps throw Forbidden), the
// office's dispatching is simulated by deliverDispatch (with the Arrived event), and the next call
// can be made to fail with any FieldError.
package com.fieldcrm.kit.fake

import com.fieldcrm.kit.Address
import com.fieldcrm.kit.CheckPoint
import com.fieldcrm.kit.Connection
import com.fieldcrm.kit.Contact
import com.fieldcrm.kit.ContactDraft
import com.fieldcrm.kit.Customer
import com.fieldcrm.kit.CustomerKind
import com.fieldcrm.kit.CustomerSummary
import com.fieldcrm.kit.Dispatch
import com.fieldcrm.kit.DispatchStatus
import com.fieldcrm.kit.DispatchStep
import com.fieldcrm.kit.DispatchSummary
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.GeoFix
import com.fieldcrm.kit.Notice
import com.fieldcrm.kit.NoticeKind
import com.fieldcrm.kit.Order
import com.fieldcrm.kit.OrderLine
import com.fieldcrm.kit.OrderLineDraft
import com.fieldcrm.kit.OrderStatus
import com.fieldcrm.kit.OrderStep
import com.fieldcrm.kit.OrderSummary
import com.fieldcrm.kit.PartUsed
import com.fieldcrm.kit.ProductCatalog
import com.fieldcrm.kit.ProductChoice
import com.fieldcrm.kit.Site
import com.fieldcrm.kit.Survey
import com.fieldcrm.kit.SyncState
import com.fieldcrm.kit.SyncSummary
import com.fieldcrm.kit.SyncUpdate
import com.fieldcrm.kit.UserSession
import com.fieldcrm.kit.Visit
import com.fieldcrm.kit.VisitPhoto
import com.fieldcrm.kit.VisitSummary
import com.fieldcrm.kit.WorkLogEntry
import com.fieldcrm.kit.allows
import java.security.MessageDigest
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * An in-memory [FieldRepository]. Thread-safe (one lock); ids are `c-N`, `k-N`, `v-N`, `o-N`,
 * `d-N`, `e-N`.
 *
 * @param products the fake catalog: [catalog] searches it and sync prices orders from it.
 * @param password the only password [login] accepts.
 * @param writable the writable customer fields (top-level names), as the server's policy would say.
 * @param clock unix ms for check-ins, notices and photos.
 */
class FakeFieldRepository(
    customers: List<Customer> = sampleCustomers(),
    private val products: List<ProductChoice> = sampleProducts(),
    private val password: String = "demo",
    var writable: Set<String> = REP_WRITABLE,
    private val clock: () -> Long = System::currentTimeMillis,
) : FieldRepository {
    private val lock = Any()
    private val customers = LinkedHashMap<String, Customer>().apply { customers.forEach { put(it.id, it) } }
    private val synced = HashMap(this.customers)
    private val visits = LinkedHashMap<String, Visit>()
    private val orders = LinkedHashMap<String, Order>()
    private val orderUpdated = HashMap<String, Long>()
    private val dispatches = LinkedHashMap<String, Dispatch>()
    private var orderNumbers = 0
    private val photoBytes = HashMap<String, ByteArray>()
    private val pending = LinkedHashSet<String>()
    private val notices = ArrayList<Notice>()
    private var session: UserSession? = null
    private var nextId = 1
    private var live = false
    private val state = MutableStateFlow(SyncState())
    private val events = MutableSharedFlow<SyncUpdate>(extraBufferCapacity = 64, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /** When set, the next call throws it (once). */
    @Volatile
    var failNext: FieldError? = null

    /** Whether the fake server is reachable: syncNow throws [FieldError.Offline] when false. */
    @Volatile
    var online: Boolean = true

    /** How many times [syncNow] completed. */
    @Volatile
    var syncCount: Int = 0
        private set

    override val syncState: StateFlow<SyncState> = state.asStateFlow()
    override val updates: SharedFlow<SyncUpdate> = events.asSharedFlow()
    override val isLive: Boolean get() = live

    /** The product picker over the fake catalog (code or name contains the query). */
    val catalog: ProductCatalog = ProductCatalog { query, limit ->
        val q = query.trim().lowercase()
        products.filter { q.isEmpty() || it.code.lowercase().contains(q) || it.name.lowercase().contains(q) }.take(limit)
    }

    /** The photo bytes stored for a visit photo (tests check what the camera path produced). */
    fun photo(sha256: String): ByteArray? = synchronized(lock) { photoBytes[sha256] }

    /** Signs in without the login screen. */
    fun signIn(username: String = "rep.sh", role: String = "rep") {
        synchronized(lock) { session = UserSession("https://crm.example.com", "u-1", username, username, role, "d-1") }
        publish()
    }

    private fun <T> guarded(block: () -> T): T {
        failNext?.let { failNext = null; throw it }
        return synchronized(lock) { block() }
    }

    private fun requireSession(): UserSession =
        session ?: throw FieldError.Unauthorized("not logged in")

    private fun id(prefix: String): String = "$prefix-${nextId++}"

    private fun publish() {
        synchronized(lock) {
            state.update {
                it.copy(
                    signedIn = session != null,
                    pendingChanges = pending.size.toLong(),
                    pendingUploads = (
                        visits.values.sumOf { v -> v.photos.count { p -> !p.uploaded } } +
                            dispatches.values.sumOf { d -> (d.photos + listOfNotNull(d.signature)).count { p -> !p.uploaded } }
                        ).toLong(),
                    unseenNotices = notices.count { n -> !n.seen }.toLong(),
                )
            }
        }
    }

    override suspend fun session(): UserSession? = guarded { session }

    override suspend fun login(serverUrl: String, username: String, password: String, deviceName: String): UserSession {
        val s = guarded {
            if (!serverUrl.startsWith("http://") && !serverUrl.startsWith("https://")) {
                throw FieldError.InvalidInput("server URL must start with http:// or https://")
            }
            if (!online) throw FieldError.Offline("server unreachable")
            if (password != this.password || username.isBlank()) throw FieldError.Unauthorized("wrong username or password")
            UserSession(serverUrl, "u-1", username, username, "rep", "d-1").also { session = it }
        }
        publish()
        return s
    }

    override suspend fun logout() {
        guarded {
            session = null
            live = false
            pending.clear()
            notices.clear()
        }
        state.value = SyncState()
    }

    override suspend fun refreshState(): SyncState {
        guarded { requireSession() }
        publish()
        return state.value
    }

    override suspend fun syncNow(): SyncSummary {
        val (summary, updates) = guarded {
            requireSession()
            if (!online) throw FieldError.Offline("server unreachable")
            val out = ArrayList<SyncUpdate>()
            var compensated = 0L
            for (docId in pending) {
                val local = customers[docId]
                val before = synced[docId]
                if (local != null && before != null) {
                    val restored = restoreForbidden(before, local)
                    if (restored.second.isNotEmpty()) {
                        compensated++
                        customers[docId] = restored.first
                        out += SyncUpdate.Compensated(docId, restored.second)
                        notices.add(
                            0,
                            Notice(
                                id = notices.size + 1L,
                                at = clock(),
                                kind = NoticeKind.COMPENSATED,
                                docId = docId,
                                message = "restored: ${restored.second.joinToString(", ")}",
                                seen = false,
                            ),
                        )
                    }
                }
                customers[docId]?.let { synced[docId] = it }
            }
            val pushed = pending.size.toLong()
            for (docId in pending) orders[docId]?.let { orders[docId] = priced(it) }
            pending.clear()
            visits.replaceAll { _, v -> v.copy(photos = v.photos.map { it.copy(uploaded = true) }) }
            dispatches.replaceAll { _, d ->
                d.copy(photos = d.photos.map { it.copy(uploaded = true) }, signature = d.signature?.copy(uploaded = true))
            }
            syncCount++
            state.update { it.copy(lastSyncAt = clock(), lastError = null) }
            SyncSummary(0, pushed, pushed - compensated, compensated, 0, 0) to out
        }
        updates.forEach { events.tryEmit(it) }
        publish()
        return summary
    }

    /** The server's compensation: every field the policy forbids goes back to its synced value. */
    private fun restoreForbidden(before: Customer, after: Customer): Pair<Customer, List<String>> {
        var c = after
        val paths = ArrayList<String>()
        if (before.owner != after.owner && !writable.allows("owner")) { c = c.copy(owner = before.owner); paths += "owner" }
        if (before.territory != after.territory && !writable.allows("territory")) { c = c.copy(territory = before.territory); paths += "territory" }
        if (before.tier != after.tier && !writable.allows("tier")) { c = c.copy(tier = before.tier); paths += "tier" }
        if (before.name != after.name && !writable.allows("name")) { c = c.copy(name = before.name); paths += "name" }
        if (before.notes != after.notes && !writable.allows("notes")) { c = c.copy(notes = before.notes); paths += "notes" }
        if (before.contacts != after.contacts && !writable.allows("contacts")) { c = c.copy(contacts = before.contacts); paths += "contacts" }
        return c to paths
    }

    override suspend fun startLiveSync() {
        guarded { requireSession(); live = true }
        state.update { it.copy(connection = if (online) Connection.CONNECTED else Connection.CONNECTING) }
        events.tryEmit(if (online) SyncUpdate.Connected else SyncUpdate.Disconnected("server unreachable"))
    }

    override suspend fun stopLiveSync() {
        val was = guarded { live.also { live = false } }
        if (was) {
            state.update { it.copy(connection = Connection.OFFLINE) }
            events.tryEmit(SyncUpdate.Disconnected(null))
        }
    }

    /** Delivers an event as live sync would (for tests of snackbars and status bars). */
    fun emit(update: SyncUpdate) {
        when (update) {
            is SyncUpdate.Connected -> state.update { it.copy(connection = Connection.CONNECTED, lastError = null) }
            is SyncUpdate.Disconnected -> state.update { it.copy(connection = Connection.OFFLINE, lastError = update.error) }
            else -> Unit
        }
        events.tryEmit(update)
    }

    override suspend fun notices(): List<Notice> {
        val list = guarded {
            val copy = notices.toList()
            notices.replaceAll { it.copy(seen = true) }
            copy
        }
        publish()
        return list
    }

    override suspend fun customers(query: String?, limit: Int, offset: Int): List<CustomerSummary> = guarded {
        requireSession()
        val q = query?.trim()?.lowercase().orEmpty()
        customers.values
            .filter { c ->
                q.isEmpty() || listOf(c.name, c.code, c.email, c.address.city, c.address.district)
                    .plus(c.phones).plus(c.contacts.map { it.name })
                    .any { it.lowercase().contains(q) }
            }
            .sortedBy { it.name }
            .drop(offset)
            .take(limit)
            .map { it.summary(it.id in pending) }
    }

    override suspend fun customer(id: String): Customer = guarded {
        requireSession()
        customers[id] ?: throw FieldError.NotFound("customer $id")
    }

    override suspend fun writableCustomerFields(): Set<String> = guarded { requireSession(); writable }

    override suspend fun createCustomer(name: String, fields: Map<String, String>): String {
        val id = guarded {
            requireSession()
            if (name.isBlank()) throw FieldError.InvalidInput("name: required")
            val id = id("c")
            customers[id] = fields.entries.fold(blankCustomer(id, name.trim())) { c, (k, v) -> c.with(k, v) }
            pending += id
            id
        }
        publish()
        return id
    }

    override suspend fun updateCustomer(id: String, fields: Map<String, String>) {
        guarded {
            requireSession()
            val c = customers[id] ?: throw FieldError.NotFound("customer $id")
            customers[id] = fields.entries.fold(c) { acc, (k, v) -> acc.with(k, v) }
            pending += id
        }
        publish()
    }

    private fun editContacts(customerId: String, f: (List<Contact>) -> List<Contact>) {
        requireSession()
        val c = customers[customerId] ?: throw FieldError.NotFound("customer $customerId")
        customers[customerId] = c.copy(contacts = f(c.contacts))
        pending += customerId
    }

    override suspend fun addContact(customerId: String, contact: ContactDraft): String {
        val id = guarded {
            if (contact.name.isBlank()) throw FieldError.InvalidInput("name: required")
            val id = id("k")
            editContacts(customerId) { it + contact.toContact(id) }
            id
        }
        publish()
        return id
    }

    override suspend fun updateContact(customerId: String, contactId: String, contact: ContactDraft) {
        guarded {
            if (contact.name.isBlank()) throw FieldError.InvalidInput("name: required")
            editContacts(customerId) { list ->
                if (list.none { it.id == contactId }) throw FieldError.NotFound("contact $contactId")
                list.map { if (it.id == contactId) contact.toContact(contactId) else it }
            }
        }
        publish()
    }

    override suspend fun removeContact(customerId: String, contactId: String) {
        guarded {
            editContacts(customerId) { list ->
                if (list.none { it.id == contactId }) throw FieldError.NotFound("contact $contactId")
                list.filterNot { it.id == contactId }
            }
        }
        publish()
    }

    override suspend fun visits(customerId: String?, limit: Int, offset: Int): List<VisitSummary> = guarded {
        requireSession()
        visits.values
            .filter { customerId == null || it.customerId == customerId }
            .sortedByDescending { it.checkIn?.at ?: 0 }
            .drop(offset)
            .take(limit)
            .map { v ->
                VisitSummary(
                    id = v.id,
                    customerId = v.customerId,
                    customerName = customers[v.customerId]?.name.orEmpty(),
                    checkInAt = v.checkIn?.at,
                    checkOutAt = v.checkOut?.at,
                    purpose = v.purpose,
                    outcome = v.outcome,
                    photoCount = v.photos.size,
                    pending = v.id in pending,
                )
            }
    }

    override suspend fun visit(id: String): Visit = guarded {
        requireSession()
        visits[id] ?: throw FieldError.NotFound("visit $id")
    }

    override suspend fun checkIn(customerId: String, fix: GeoFix?): String {
        val id = guarded {
            val s = requireSession()
            if (customerId !in customers) throw FieldError.NotFound("customer $customerId")
            val id = id("v")
            visits[id] = Visit(
                id = id,
                customerId = customerId,
                repId = s.userId,
                checkIn = CheckPoint(clock(), fix?.lat, fix?.lon, fix?.accuracyM),
                checkOut = null,
                purpose = "",
                outcome = "",
                notes = "",
                nextStep = "",
                photos = emptyList(),
            )
            pending += id
            id
        }
        publish()
        return id
    }

    private fun editOpenVisit(id: String, f: (Visit) -> Visit) {
        requireSession()
        val v = visits[id] ?: throw FieldError.NotFound("visit $id")
        if (!v.open) throw FieldError.InvalidInput("visit already checked out")
        visits[id] = f(v)
        pending += id
    }

    override suspend fun setVisitNotes(visitId: String, notes: String) {
        guarded { editOpenVisit(visitId) { it.copy(notes = notes) } }
        publish()
    }

    override suspend fun addVisitPhoto(visitId: String, bytes: ByteArray, contentType: String, caption: String): String {
        val sha = guarded {
            if (bytes.isEmpty()) throw FieldError.InvalidInput("photo: empty")
            if (!contentType.startsWith("image/")) throw FieldError.InvalidInput("photo: not an image")
            val sha = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
            editOpenVisit(visitId) { v ->
                if (v.photos.any { it.sha256 == sha }) v
                else v.copy(photos = v.photos + VisitPhoto(sha, contentType, clock(), caption, uploaded = false, localPath = null))
            }
            photoBytes[sha] = bytes
            sha
        }
        publish()
        return sha
    }

    override suspend fun checkOut(visitId: String, outcome: String, notes: String, fix: GeoFix?) {
        guarded {
            editOpenVisit(visitId) {
                it.copy(outcome = outcome.trim(), notes = notes, checkOut = CheckPoint(clock(), fix?.lat, fix?.lon, fix?.accuracyM))
            }
        }
        publish()
    }

    // ----- orders -----

    /** The server's part of a sync: prices from the fake catalog (discount capped at 10 %), a number. */
    private fun priced(o: Order): Order {
        val reprice = o.status == OrderStatus.DRAFT || o.status == OrderStatus.SUBMITTED
        val lines = if (!reprice) o.lines else o.lines.map { l ->
            val p = products.firstOrNull { it.id == l.productId }
            val price = p?.listPrice ?: 0L
            val discount = minOf(l.discountBp, MAX_DISCOUNT_BP)
            val gross = Math.round(l.quantity * price)
            l.copy(
                productCode = p?.code.orEmpty(),
                productName = p?.name.orEmpty(),
                unit = p?.unit.orEmpty(),
                unitPrice = price,
                discountBp = discount,
                lineTotal = gross - (gross * discount + 5_000) / 10_000,
                problem = if (p == null) "unknown product" else "",
            )
        }
        val subtotal = lines.sumOf { Math.round(it.quantity * it.unitPrice) }
        val total = lines.sumOf { it.lineTotal }
        return o.copy(
            lines = lines,
            currency = "CNY",
            subtotal = subtotal,
            discountTotal = subtotal - total,
            total = total,
            number = o.number ?: "SO-2026-%06d".format(++orderNumbers),
        )
    }

    private fun orderSteps(o: Order): Set<OrderStep> {
        val role = session?.role
        val office = role in OFFICE_ROLES
        if (!office && role != "rep") return emptySet()
        return OrderStep.entries.filter { step ->
            when (step) {
                OrderStep.SUBMIT -> o.status == OrderStatus.DRAFT && o.lines.isNotEmpty()
                OrderStep.CANCEL -> o.status == OrderStatus.DRAFT || o.status == OrderStatus.SUBMITTED ||
                    (office && o.status == OrderStatus.CONFIRMED)
                OrderStep.EDIT_LINES -> o.status == OrderStatus.DRAFT || (office && o.status == OrderStatus.SUBMITTED)
            }
        }.toSet()
    }

    override suspend fun orders(customerId: String?): List<OrderSummary> = guarded {
        requireSession()
        orders.values
            .filter { customerId == null || it.customerId == customerId }
            .sortedByDescending { orderUpdated[it.id] ?: 0 }
            .map { o ->
                OrderSummary(
                    o.id, o.customerId, customers[o.customerId]?.name.orEmpty(), o.number, o.status, o.currency,
                    o.total, o.lines.size, o.id in pending, orderUpdated[o.id] ?: 0,
                )
            }
    }

    override suspend fun order(id: String): Order = guarded {
        requireSession()
        val o = orders[id] ?: throw FieldError.NotFound("order $id")
        o.copy(steps = orderSteps(o))
    }

    override suspend fun createOrder(customerId: String, lines: List<OrderLineDraft>, notes: String): String {
        val id = guarded {
            requireSession()
            if (customerId !in customers) throw FieldError.NotFound("customer $customerId")
            lines.firstNotNullOfOrNull { it.problem() }?.let { throw FieldError.InvalidInput("lines: $it") }
            val id = id("o")
            orders[id] = Order(
                id = id, customerId = customerId, number = null, status = OrderStatus.DRAFT, repId = session?.userId,
                lines = lines.map { l ->
                    OrderLine(
                        id = id("l"), productId = l.productId.trim(), productCode = "", productName = "", unit = "",
                        quantity = l.quantity, discountBp = l.discountBp, requestedDelivery = l.requestedDelivery,
                        notes = l.notes, unitPrice = 0, lineTotal = 0, problem = "", shippedQuantity = 0.0, lots = emptyList(),
                    )
                },
                notes = notes.trim(), cancelReason = "", currency = "", subtotal = 0, discountTotal = 0, total = 0,
                steps = emptySet(),
            )
            orderUpdated[id] = clock()
            pending += id
            id
        }
        publish()
        return id
    }

    private fun moveOrder(id: String, step: OrderStep, f: (Order) -> Order) {
        requireSession()
        val o = orders[id] ?: throw FieldError.NotFound("order $id")
        if (step !in orderSteps(o)) {
            if (step == OrderStep.SUBMIT && o.status == OrderStatus.DRAFT) throw FieldError.InvalidInput("status: an order without lines")
            throw FieldError.Forbidden("status: not from ${o.status}")
        }
        orders[id] = f(o)
        orderUpdated[id] = clock()
        pending += id
    }

    override suspend fun submitOrder(id: String) {
        guarded { moveOrder(id, OrderStep.SUBMIT) { it.copy(status = OrderStatus.SUBMITTED) } }
        publish()
    }

    override suspend fun cancelOrder(id: String, reason: String) {
        guarded { moveOrder(id, OrderStep.CANCEL) { it.copy(status = OrderStatus.CANCELLED, cancelReason = reason.trim()) } }
        publish()
    }

    // ----- dispatches -----

    /**
     * The office dispatches a job to this device's user: it appears as live sync would deliver it
     * (a [SyncUpdate.DocsReceived] and a [SyncUpdate.Arrived] of kind `dispatch`). Returns its id.
     */
    fun deliverDispatch(dispatch: Dispatch? = null): String {
        val id = synchronized(lock) {
            val d = dispatch ?: sampleDispatch(id("d"))
            dispatches[d.id] = d
            d.id
        }
        events.tryEmit(SyncUpdate.DocsReceived(1))
        events.tryEmit(SyncUpdate.Arrived("dispatch", listOf(id)))
        publish()
        return id
    }

    private fun dispatchSteps(d: Dispatch): Set<DispatchStep> {
        if (session?.role != "engineer") return emptySet()
        val s = d.status
        val open = !s.isFinal && s != DispatchStatus.ASSIGNED
        return DispatchStep.entries.filter { step ->
            when (step) {
                DispatchStep.ACCEPT -> s == DispatchStatus.ASSIGNED
                DispatchStep.EN_ROUTE -> s == DispatchStatus.ACCEPTED
                DispatchStep.CHECK_IN -> s == DispatchStatus.ACCEPTED || s == DispatchStatus.EN_ROUTE
                DispatchStep.LOG, DispatchStep.ADD_PART, DispatchStep.ADD_PHOTO, DispatchStep.SIGN -> open
                DispatchStep.COMPLETE -> s == DispatchStatus.ON_SITE && d.checkIn != null && d.signature != null
                DispatchStep.UNABLE -> open
                DispatchStep.SURVEY -> s == DispatchStatus.COMPLETED
            }
        }.toSet()
    }

    override suspend fun dispatches(): List<DispatchSummary> = guarded {
        requireSession()
        dispatches.values.sortedWith(compareBy({ it.scheduledAt == null }, { it.scheduledAt }, { it.id })).map { d ->
            DispatchSummary(
                d.id, d.ticketType, d.priority, d.status, d.site.customerName, d.site.address, d.scheduledAt,
                d.slaDueAt, d.id in pending, d.completedAt ?: d.scheduledAt ?: 0,
            )
        }
    }

    override suspend fun dispatch(id: String): Dispatch = guarded {
        requireSession()
        val d = dispatches[id] ?: throw FieldError.NotFound("dispatch $id")
        d.copy(steps = dispatchSteps(d))
    }

    private fun work(id: String, step: DispatchStep, f: (Dispatch) -> Dispatch) {
        requireSession()
        val d = dispatches[id] ?: throw FieldError.NotFound("dispatch $id")
        if (step !in dispatchSteps(d)) {
            if (step == DispatchStep.COMPLETE && d.status == DispatchStatus.ON_SITE) {
                throw FieldError.InvalidInput("status: completion needs a check-in and the customer's signature")
            }
            throw FieldError.Forbidden("the dispatch is ${d.status}")
        }
        dispatches[id] = f(d)
        pending += id
    }

    private fun photoRef(bytes: ByteArray, contentType: String, caption: String): VisitPhoto {
        if (bytes.isEmpty()) throw FieldError.InvalidInput("photo: empty")
        if (!contentType.startsWith("image/")) throw FieldError.InvalidInput("photo: not an image")
        val sha = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
        photoBytes[sha] = bytes
        return VisitPhoto(sha, contentType, clock(), caption, uploaded = false, localPath = null)
    }

    override suspend fun acceptDispatch(id: String) {
        guarded { work(id, DispatchStep.ACCEPT) { it.copy(status = DispatchStatus.ACCEPTED) } }
        publish()
    }

    override suspend fun setDispatchEnRoute(id: String) {
        guarded { work(id, DispatchStep.EN_ROUTE) { it.copy(status = DispatchStatus.EN_ROUTE) } }
        publish()
    }

    override suspend fun checkInDispatch(id: String, fix: GeoFix?) {
        guarded {
            work(id, DispatchStep.CHECK_IN) {
                it.copy(status = DispatchStatus.ON_SITE, checkIn = CheckPoint(clock(), fix?.lat, fix?.lon, fix?.accuracyM))
            }
        }
        publish()
    }

    override suspend fun logDispatchWork(id: String, text: String) {
        guarded {
            if (text.isBlank()) throw FieldError.InvalidInput("work log: required")
            work(id, DispatchStep.LOG) { it.copy(workLog = it.workLog + WorkLogEntry(id("e"), clock(), text.trim())) }
        }
        publish()
    }

    override suspend fun addDispatchPart(id: String, productId: String, quantity: Double, serials: List<String>) {
        guarded {
            if (productId.isBlank()) throw FieldError.InvalidInput("product: required")
            if (!(quantity > 0.0)) throw FieldError.InvalidInput("parts: a part needs a product and a quantity")
            work(id, DispatchStep.ADD_PART) {
                it.copy(parts = it.parts + PartUsed(id("e"), productId.trim(), quantity, serials.map(String::trim).filter(String::isNotEmpty)))
            }
        }
        publish()
    }

    override suspend fun addDispatchPhoto(id: String, bytes: ByteArray, contentType: String, caption: String): String {
        val sha = guarded {
            val photo = photoRef(bytes, contentType, caption)
            work(id, DispatchStep.ADD_PHOTO) { d ->
                if (d.photos.any { it.sha256 == photo.sha256 }) d else d.copy(photos = d.photos + photo)
            }
            photo.sha256
        }
        publish()
        return sha
    }

    override suspend fun signDispatch(id: String, png: ByteArray): String {
        val sha = guarded {
            val signature = photoRef(png, "image/png", "signature")
            work(id, DispatchStep.SIGN) { it.copy(signature = signature) }
            signature.sha256
        }
        publish()
        return sha
    }

    override suspend fun completeDispatch(id: String) {
        guarded { work(id, DispatchStep.COMPLETE) { it.copy(status = DispatchStatus.COMPLETED, completedAt = clock()) } }
        publish()
    }

    override suspend fun markDispatchUnable(id: String, reason: String) {
        guarded {
            if (reason.isBlank()) throw FieldError.InvalidInput("reason: required")
            work(id, DispatchStep.UNABLE) { it.copy(status = DispatchStatus.UNABLE, unableReason = reason.trim()) }
        }
        publish()
    }

    override suspend fun recordDispatchSurvey(id: String, score: Int, comment: String) {
        guarded {
            if (score !in 1..5) throw FieldError.InvalidInput("survey: score must be 1 to 5")
            work(id, DispatchStep.SURVEY) { it.copy(survey = Survey(score, comment.trim(), clock())) }
        }
        publish()
    }

    override fun close() = Unit

    companion object {
        /** The largest discount the fake server lets through (basis points). */
        const val MAX_DISCOUNT_BP = 1_000L

        private val OFFICE_ROLES = setOf("admin", "manager", "office")

        /** Three products with list prices (minor units). */
        fun sampleProducts(): List<ProductChoice> = listOf(
            ProductChoice("p-1", "FZ-200", "冷柜 Freezer 200 L", "台", 3_200_00),
            ProductChoice("p-2", "RL-778", "压缩机继电器 Compressor relay", "个", 85_00),
            ProductChoice("p-3", "PA-A4", "打印纸 A4 paper", "箱", 120_00),
        )

        /** A repair job at the first sample customer, as the office dispatches it. */
        fun sampleDispatch(id: String, scheduledAt: Long? = null) = Dispatch(
            id = id, ticketId = "t-$id", customerId = "c-a", engineerId = "u-1", ticketType = "repair",
            priority = "high", description = "冷柜不制冷 Freezer not cooling", productSerial = "SN-10037",
            slaDueAt = null,
            site = Site("华联超市 Hualian", "上海 浦东 世纪大道 100 号", 31.2304, 121.4737, "王芳 Wang Fang", "13800000001"),
            scheduledAt = scheduledAt, status = DispatchStatus.ASSIGNED, checkIn = null, workLog = emptyList(),
            parts = emptyList(), photos = emptyList(), signature = null, completedAt = null, unableReason = "",
            survey = null, steps = emptySet(),
        )

        /** What the demo policy lets a rep write (everything but territory and owner). */
        val REP_WRITABLE: Set<String> = setOf(
            "code", "name", "kind", "tier", "industry", "source", "phones", "email", "address",
            "tags", "birthday", "interests", "contacts", "custom", "notes",
        )

        /** A blank company customer. */
        fun blankCustomer(id: String, name: String) = Customer(
            id = id, code = "", name = name, kind = CustomerKind.COMPANY, tier = "", industry = "", source = "",
            phones = emptyList(), email = "", address = Address(), tags = emptyList(), birthday = null,
            interests = emptyList(), contacts = emptyList(), custom = emptyMap(), notes = "",
            territory = "t-sh", owner = "u-1",
        )

        /** Three customers in Shanghai, one with a contact. */
        fun sampleCustomers(): List<Customer> = listOf(
            blankCustomer("c-a", "华联超市 Hualian").copy(
                code = "C0001", tier = "A", industry = "retail", phones = listOf("021-5555-0101"),
                address = Address(province = "上海", city = "上海", district = "浦东", street = "世纪大道 100 号"),
                contacts = listOf(Contact("k-a", "王芳 Wang Fang", title = "采购经理", phones = listOf("13800000001"), primary = true)),
            ),
            blankCustomer("c-b", "东方电子 Dongfang Electronics").copy(
                code = "C0002", tier = "B", industry = "electronics", address = Address(city = "上海", district = "徐汇"),
            ),
            blankCustomer("c-c", "Harbour Logistics").copy(
                code = "C0003", tier = "C", industry = "logistics", email = "info@harbour.example",
                address = Address(city = "上海", district = "宝山"),
            ),
        )

        private fun ContactDraft.toContact(id: String) = Contact(
            id, name.trim(), title.trim(), department.trim(), phones.map { it.trim() }.filter { it.isNotEmpty() },
            email.trim(), role.trim(), primary, notes,
        )

        private fun Customer.summary(pending: Boolean) = CustomerSummary(
            id, name, code, tier, industry, address.city, address.district, phones, email,
            contacts.map { it.name }, pending, 0,
        )

        private fun list(v: String) = v.split(',', '，').map { it.trim() }.filter { it.isNotEmpty() }

        private fun Customer.with(field: String, value: String): Customer = when (field) {
            "name" -> copy(name = value.trim())
            "code" -> copy(code = value.trim())
            "tier" -> copy(tier = value.trim())
            "industry" -> copy(industry = value.trim())
            "source" -> copy(source = value.trim())
            "email" -> copy(email = value.trim())
            "phones" -> copy(phones = list(value))
            "tags" -> copy(tags = list(value))
            "interests" -> copy(interests = list(value))
            "notes" -> copy(notes = value)
            "birthday" -> copy(birthday = value.trim().ifEmpty { null })
            "address.province" -> copy(address = address.copy(province = value.trim()))
            "address.city" -> copy(address = address.copy(city = value.trim()))
            "address.district" -> copy(address = address.copy(district = value.trim()))
            "address.street" -> copy(address = address.copy(street = value.trim()))
            "address.zip" -> copy(address = address.copy(zip = value.trim()))
            "territory" -> copy(territory = value.trim().ifEmpty { null })
            "owner" -> copy(owner = value.trim().ifEmpty { null })
            else -> if (field.startsWith("custom.") && field.length > 7) {
                val key = field.removePrefix("custom.")
                copy(custom = if (value.isBlank()) custom - key else custom + (key to value.trim()))
            } else {
                throw FieldError.InvalidInput("unknown customer field \"$field\"")
            }
        }
    }
}
