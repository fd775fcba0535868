// JVM test of the :kit module's repository (UniffiFieldRepository) over the generated bindings,
// the real libfieldcrm_mobile.so and a real demo server — everything the Android app does,
// through the same interface the app's view models use.
//
// Run by scripts/kotlin-test.sh: java ... com.fieldcrm.kit.KitJvmTestKt <server-url> <scratch-dir>
// Prints "N passed, N failed" and exits 1 on failure.
package com.fieldcrm.kit

import com.fieldcrm.kit.fake.FakeFieldRepository
import com.fieldcrm.kit.uniffi.UniffiFieldRepository
import java.awt.BasicStroke
import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.security.MessageDigest
import java.util.UUID
import javax.imageio.ImageIO
import kotlin.system.exitProcess
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull

private var passed = 0
private var failed = 0

private fun check(name: String, ok: Boolean, detail: () -> String = { "" }) {
    if (ok) {
        passed++
        println("ok   $name")
    } else {
        failed++
        println("FAIL $name ${detail()}")
    }
}

private suspend inline fun <reified E : FieldError> throws(name: String, crossinline block: suspend () -> Unit) {
    try {
        block()
        check(name, false) { "no exception" }
    } catch (e: Throwable) {
        check(name, e is E) { "got $e" }
    }
}

/** Waits (bounded) until `flow`'s value satisfies `pred`; null on timeout. */
private suspend fun <T> StateFlow<T>.awaitValue(timeoutMs: Long = 30_000, pred: (T) -> Boolean): T? =
    withTimeoutOrNull(timeoutMs) { first(pred) }

private fun jpeg(seed: Int): ByteArray {
    val img = BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    g.color = Color(seed and 0xff, 80, 160)
    g.fillRect(0, 0, 64, 48)
    g.color = Color.WHITE
    g.drawString("fieldcrm $seed", 2, 24)
    g.dispose()
    val out = ByteArrayOutputStream()
    if (!ImageIO.write(img, "jpg", out)) error("no JPEG writer")
    return out.toByteArray()
}

/** What the app's signature pad produces: strokes on white, saved as PNG. */
private fun signaturePng(seed: Int): ByteArray {
    val img = BufferedImage(320, 120, BufferedImage.TYPE_INT_ARGB)
    val g = img.createGraphics()
    g.color = Color.WHITE
    g.fillRect(0, 0, 320, 120)
    g.color = Color.BLACK
    g.stroke = BasicStroke(4f)
    g.drawPolyline(intArrayOf(10, 60, 90, 140, 200, 260 + seed % 40), intArrayOf(90, 30, 80, 20, 70, 40), 6)
    g.dispose()
    val out = ByteArrayOutputStream()
    if (!ImageIO.write(img, "png", out)) error("no PNG writer")
    return out.toByteArray()
}

private fun sha256(bytes: ByteArray): String =
    MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

private suspend fun scenario(server: String, scratch: String) {
    // Fails with "UniFFI API checksum mismatch" if the bindings are stale for this library.
    uniffi.fieldcrm_mobile.uniffiEnsureInitialized()

    val repo = UniffiFieldRepository.open("$scratch/kit-device")
    val scope = CoroutineScope(Dispatchers.Default)
    // The one listener bridged to a flow: record everything it delivers from now on.
    val seen = MutableStateFlow<List<SyncUpdate>>(emptyList())
    scope.launch(start = CoroutineStart.UNDISPATCHED) { repo.updates.collect { u -> seen.update { it + u } } }

    check("not signed in before login", repo.session() == null)
    throws<FieldError.InvalidInput>("bad server URL is FieldError.InvalidInput") {
        repo.login("not a url", "rep.sh", "demo", "kit jvm test")
    }
    throws<FieldError.Unauthorized>("wrong password is FieldError.Unauthorized") {
        repo.login(server, "rep.sh", "wrong", "kit jvm test")
    }
    throws<FieldError.Unauthorized>("reads before login are FieldError.Unauthorized") {
        repo.writableCustomerFields()
    }

    val session = repo.login("$server/", "rep.sh", "demo", "kit jvm test")
    check("login", session.username == "rep.sh" && session.role == "rep") { "$session" }
    check("state: signed in", repo.syncState.value.signedIn)

    val writable = repo.writableCustomerFields()
    check("policy: tier and address.city writable, owner and territory read-only",
        writable.allows("tier") && writable.allows("address.city") && !writable.allows("owner") && !writable.allows("territory")) { "$writable" }

    // First sync.
    val first = repo.syncNow()
    check("first sync receives customers", first.docsReceived > 0) { "$first" }
    check("state: last sync set, offline after a one-shot sync",
        repo.syncState.value.lastSyncAt != null && repo.syncState.value.connection == Connection.OFFLINE) { "${repo.syncState.value}" }

    // List and search.
    val page = repo.customers(null, 20, 0)
    check("customers listed (a page of 20)", page.size == 20) { "${page.size}" }
    val next = repo.customers(null, 20, 20)
    check("next page differs", next.isNotEmpty() && next.none { n -> page.any { it.id == n.id } })
    val target = page.first()
    val found = repo.customers(target.name, 50, 0)
    check("search by name finds the customer", found.any { it.id == target.id }) { "query '${target.name}'" }
    check("search by code finds the customer", target.code.isEmpty() || repo.customers(target.code, 50, 0).any { it.id == target.id })
    check("search for nonsense finds nothing", repo.customers("zzqx-no-such-customer", 50, 0).isEmpty())
    val before = repo.customer(target.id)
    check("customer card", before.id == target.id && before.name == target.name)
    throws<FieldError.NotFound>("unknown customer is FieldError.NotFound") { repo.customer(UUID.randomUUID().toString()) }

    // Offline edit: committed locally, pending until a sync.
    val newTier = if (before.tier == "A") "B" else "A"
    repo.updateCustomer(target.id, mapOf("tier" to newTier, "address.district" to "静安 Jing'an"))
    check("offline edit shows locally", repo.customer(target.id).let { it.tier == newTier && it.address.district == "静安 Jing'an" })
    check("offline edit is pending in syncState", repo.syncState.value.pendingChanges == 1L) { "${repo.syncState.value}" }
    check("pending flag in the list", repo.customers(target.name, 50, 0).first { it.id == target.id }.pending)
    throws<FieldError.InvalidInput>("unknown field is FieldError.InvalidInput") {
        repo.updateCustomer(target.id, mapOf("no_such_field" to "x"))
    }

    // Contacts.
    throws<FieldError.InvalidInput>("contact without a name is refused") {
        repo.addContact(target.id, ContactDraft(name = " "))
    }
    val contactId = repo.addContact(
        target.id,
        ContactDraft(name = "李雷 Li Lei", title = "采购", phones = listOf("13900000000"), email = "lilei@example.com", primary = false),
    )
    check("contact added", repo.customer(target.id).contacts.any { it.id == contactId && it.name == "李雷 Li Lei" })
    repo.updateContact(target.id, contactId, ContactDraft(name = "李雷 Li Lei", title = "采购总监", phones = listOf("13900000000", "021-1234")))
    check("contact edited", repo.customer(target.id).contacts.first { it.id == contactId }.let { it.title == "采购总监" && it.phones.size == 2 })

    val pushed = repo.syncNow()
    check("edit and contact accepted by the server", pushed.accepted >= 1 && pushed.compensated == 0L && pushed.rejected == 0L) { "$pushed" }
    check("nothing pending after sync", repo.syncState.value.pendingChanges == 0L) { "${repo.syncState.value}" }
    check("contact kept after sync", repo.customer(target.id).contacts.any { it.id == contactId && it.title == "采购总监" })

    // Live sync: a forbidden edit comes back compensated, as an event on the Flow.
    repo.startLiveSync()
    check("live: connected (state from the listener)", repo.syncState.awaitValue { it.connection == Connection.CONNECTED } != null) { "${repo.syncState.value}" }
    check("live: Connected arrived on the Flow", seen.awaitValue { l -> l.any { it is SyncUpdate.Connected } } != null) { "${seen.value}" }
    repo.updateCustomer(target.id, mapOf("owner" to UUID.randomUUID().toString()))
    val compensated = seen.awaitValue { l -> l.any { it is SyncUpdate.Compensated && it.docId == target.id } }
        ?.filterIsInstance<SyncUpdate.Compensated>()?.firstOrNull { it.docId == target.id }
    check("live: forbidden owner edit arrives compensated on the Flow", compensated != null && "owner" in compensated.paths) { "${seen.value}" }
    check("owner restored", repo.customer(target.id).owner == before.owner)
    check("compensation notice counted as unseen", repo.syncState.awaitValue { it.unseenNotices > 0 } != null) { "${repo.syncState.value}" }
    check("compensation notice listed", repo.notices().any { it.kind == NoticeKind.COMPENSATED && it.docId == target.id })
    check("notices marked seen", repo.syncState.value.unseenNotices == 0L) { "${repo.syncState.value}" }

    // A visit with a photo, while live.
    val visitId = repo.checkIn(target.id, GeoFix(31.23, 121.47, 12.0))
    val open = repo.visit(visitId)
    check("check-in recorded with its position", open.open && open.checkIn?.lat == 31.23 && open.customerId == target.id) { "$open" }
    repo.setVisitNotes(visitId, "见了采购 met the buyer")
    throws<FieldError.InvalidInput>("a non-image photo is refused") {
        repo.addVisitPhoto(visitId, "not a jpeg".toByteArray(), "image/jpeg", "")
    }
    val photo = jpeg(7)
    val sha = repo.addVisitPhoto(visitId, photo, "image/jpeg", "门头 storefront")
    check("photo sha256 returned", sha == sha256(photo)) { "$sha" }
    check("photo on the visit", repo.visit(visitId).photos.any { it.sha256 == sha && it.caption == "门头 storefront" })
    repo.checkOut(visitId, "下周下单 order next week", "见了采购 met the buyer", GeoFix(31.2301, 121.4702, 8.0))
    val done = repo.visit(visitId)
    check("check-out recorded", !done.open && done.outcome == "下周下单 order next week" && done.notes == "见了采购 met the buyer") { "$done" }
    val uploads = seen.awaitValue { l -> l.any { it is SyncUpdate.UploadsFinished && it.uploaded > 0 } }
    check("live: UploadsFinished arrived on the Flow", uploads != null) { "${seen.value}" }
    check("visit and photo pushed live (nothing pending)",
        repo.syncState.awaitValue { it.pendingChanges == 0L && it.pendingUploads == 0L } != null) { "${repo.syncState.value}" }
    check("photo marked uploaded", repo.visit(visitId).photos.firstOrNull { it.sha256 == sha }?.uploaded == true)
    val listed = repo.visits(target.id, 10, 0)
    check("visit listed first for its customer with one photo",
        listed.firstOrNull()?.let { it.id == visitId && it.photoCount == 1 && !it.open } == true) { "$listed" }

    repo.stopLiveSync()
    check("live stopped", !repo.isLive && repo.syncState.value.connection == Connection.OFFLINE)

    // A second device of the same user sees all of it from the server.
    val other = UniffiFieldRepository.open("$scratch/kit-device-2")
    other.login(server, "rep.sh", "demo", "kit jvm test 2")
    other.syncNow()
    val remoteVisit = other.visit(visitId)
    check("second device: visit with notes, outcome and the uploaded photo",
        remoteVisit.outcome == done.outcome && remoteVisit.photos.any { it.sha256 == sha && it.uploaded }) { "$remoteVisit" }
    check("second device: contact and tier", other.customer(target.id).let { c ->
        c.tier == newTier && c.contacts.any { it.id == contactId } && c.owner == before.owner
    })
    repo.removeContact(target.id, contactId)
    repo.syncNow()
    other.syncNow()
    check("contact removal reaches the other device", other.customer(target.id).contacts.none { it.id == contactId })
    other.logout()
    other.close()

    // An order through the repository: a draft for the customer, submitted, synced.
    val lineProblem = OrderLineDraft(productId = "", quantity = 1.0).problem()
    check("an order line without a product is a draft problem", lineProblem == OrderLineProblem.PRODUCT_REQUIRED)
    val product = UUID.randomUUID().toString()
    val orderId = repo.createOrder(target.id, listOf(OrderLineDraft(product, 2.0, discountBp = 300)), "kit order")
    val draft = repo.order(orderId)
    check("draft order with the rep's steps",
        draft.status == OrderStatus.DRAFT && draft.steps == setOf(OrderStep.SUBMIT, OrderStep.CANCEL, OrderStep.EDIT_LINES)) { "$draft" }
    check("the order is pending in syncState", repo.syncState.value.pendingChanges == 1L) { "${repo.syncState.value}" }
    repo.submitOrder(orderId)
    val submitted = repo.order(orderId)
    check("submitted: the rep may only cancel now", submitted.steps == setOf(OrderStep.CANCEL)) { "$submitted" }
    val orderSync = repo.syncNow()
    check("order accepted by the server", orderSync.rejected == 0L && repo.syncState.value.pendingChanges == 0L) { "$orderSync" }
    val synced = repo.order(orderId)
    check("order submitted after sync, number SO-YYYY-NNNNNN if given",
        synced.status == OrderStatus.SUBMITTED && synced.number.let { it == null || Regex("^SO-\\d{4}-\\d{6}$").matches(it) }) { "$synced" }
    check("order in the customer's list", repo.orders(target.id).any { it.id == orderId && !it.pending })

    repo.logout()
    check("logout", repo.session() == null && !repo.syncState.value.signedIn)
    scope.cancel()
    repo.close()
}

/**
 * The engineer's day through the repository, with the fake walked through the same steps: the
 * real and the fake repository must offer the same buttons at every stage. The dispatch was
 * created for engineer.kit by mobile-bindings/examples/jvm_fixture.rs before the server started.
 */
private suspend fun engineerScenario(server: String, scratch: String) {
    val repo = UniffiFieldRepository.open("$scratch/kit-engineer")
    val scope = CoroutineScope(Dispatchers.Default)
    val seen = MutableStateFlow<List<SyncUpdate>>(emptyList())
    scope.launch(start = CoroutineStart.UNDISPATCHED) { repo.updates.collect { u -> seen.update { it + u } } }
    val fake = FakeFieldRepository().apply { signIn("engineer", role = "engineer") }

    val session = repo.login(server, "engineer.kit", "demo", "kit engineer")
    check("engineer login", session.role == "engineer") { "$session" }
    repo.startLiveSync()
    val arrived = seen.awaitValue { l -> l.any { it is SyncUpdate.Arrived && it.kind == "dispatch" } }
        ?.filterIsInstance<SyncUpdate.Arrived>()?.firstOrNull { it.kind == "dispatch" }
    check("live: Arrived(dispatch) on the Flow (what the app notifies)", arrived?.docIds?.size == 1) { "${seen.value}" }
    repo.stopLiveSync()
    val listed = repo.dispatches()
    val id = listed.singleOrNull()?.id
    check("one dispatch listed", id != null && id == arrived?.docIds?.firstOrNull()) { "$listed" }
    if (id == null) return
    val fakeId = fake.deliverDispatch()

    suspend fun sameSteps(stage: String) {
        val real = repo.dispatch(id).steps
        val mirrored = fake.dispatch(fakeId).steps
        check("steps $stage: $real (the fake offers the same)", real == mirrored) { "fake $mirrored" }
    }
    suspend fun both(step: suspend (FieldRepository, String) -> Unit) {
        step(repo, id)
        step(fake, fakeId)
    }

    sameSteps("assigned")
    throws<FieldError.Forbidden>("complete before check-in is FieldError.Forbidden") { repo.completeDispatch(id) }
    throws<FieldError.Forbidden>("the fake refuses it the same way") { fake.completeDispatch(fakeId) }
    both { r, d -> r.acceptDispatch(d) }
    sameSteps("accepted")
    both { r, d -> r.setDispatchEnRoute(d) }
    sameSteps("en route")
    both { r, d -> r.checkInDispatch(d, GeoFix(31.2304, 121.4737, 5.0)) }
    sameSteps("on site")
    throws<FieldError.InvalidInput>("complete without the signature is FieldError.InvalidInput") { repo.completeDispatch(id) }
    both { r, d -> r.logDispatchWork(d, "检查冷媒 checked the refrigerant") }
    both { r, d -> r.addDispatchPart(d, "00000000-0000-7000-8000-000000000001", 2.0, listOf("A1", " ", "A2")) }
    val photo = jpeg(42)
    both { r, d -> r.addDispatchPhoto(d, photo, "image/jpeg", "铭牌 name plate") }
    val signature = signaturePng(7)
    both { r, d -> r.signDispatch(d, signature) }
    sameSteps("signed")
    val card = repo.dispatch(id)
    check("work screen shows log, part serials, photo and signature",
        card.workLog.size == 1 && card.parts.singleOrNull()?.serials == listOf("A1", "A2") &&
            card.photos.singleOrNull()?.sha256 == sha256(photo) &&
            card.signature?.let { it.sha256 == sha256(signature) && !it.uploaded } == true) { "$card" }
    check("pending: one dispatch, two files", repo.syncState.value.let { it.pendingChanges == 1L && it.pendingUploads == 2L }) { "${repo.syncState.value}" }
    both { r, d -> r.completeDispatch(d) }
    sameSteps("completed")
    both { r, d -> r.recordDispatchSurvey(d, 4, "准时 on time") }
    val report = repo.syncNow()
    check("synced: accepted, files uploaded", report.accepted == 1L && report.rejected == 0L &&
        repo.syncState.value.let { it.pendingChanges == 0L && it.pendingUploads == 0L }) { "$report ${repo.syncState.value}" }
    check("signature marked uploaded", repo.dispatch(id).signature?.uploaded == true)

    val other = UniffiFieldRepository.open("$scratch/kit-engineer-2")
    other.login(server, "engineer.kit", "demo", "kit engineer 2")
    other.syncNow()
    val remote = other.dispatch(id)
    check("server: completed with everything (seen from a second device)",
        remote.status == DispatchStatus.COMPLETED && remote.survey?.score == 4 && remote.signature?.sha256 == sha256(signature) &&
            remote.photos.size == 1 && remote.workLog.size == 1) { "$remote" }
    other.logout()
    other.close()
    repo.logout()
    scope.cancel()
    repo.close()
}

fun main(args: Array<String>) {
    if (args.size != 2) {
        println("usage: KitJvmTestKt <server-url> <scratch-dir>")
        exitProcess(2)
    }
    try {
        runBlocking {
            scenario(args[0], args[1])
            engineerScenario(args[0], args[1])
        }
    } catch (e: Throwable) {
        failed++
        println("FAIL unexpected exception: $e")
        e.printStackTrace()
    }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
