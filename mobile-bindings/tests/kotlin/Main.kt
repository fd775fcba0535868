// JVM test of the generated Kotlin bindings against the real library and a real server: a rep's
// customers, visits, photos and an order; an engineer's dispatch from arrival to completion.
// Usage: java ... MainKt <server-url> <scratch-dir>; prints "N passed, N failed", exits 1 on failure.

import java.net.HttpURLConnection
import java.net.URI
import java.security.MessageDigest
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.system.exitProcess
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import uniffi.fieldcrm_mobile.*

var passed = 0
var failed = 0

fun check(name: String, ok: Boolean, detail: () -> String = { "" }) {
    if (ok) {
        passed++
        println("ok   $name")
    } else {
        failed++
        println("FAIL $name ${detail()}")
    }
}

inline fun <reified E : Throwable> throws(name: String, block: () -> Unit) {
    try {
        block()
        check(name, false) { "no exception" }
    } catch (e: Throwable) {
        check(name, e is E) { "got $e" }
    }
}

class Recorder : SyncListener {
    val events = CopyOnWriteArrayList<SyncEvent>()
    override fun onEvent(event: SyncEvent) {
        events.add(event)
    }
}

suspend fun waitFor(r: Recorder, pred: (SyncEvent) -> Boolean): SyncEvent? {
    repeat(200) {
        r.events.firstOrNull(pred)?.let { return it }
        delay(50)
    }
    return null
}

// A real 1x1 PNG; `tag` after its end chunk makes the bytes unique to this run.
fun png(tag: String): ByteArray {
    val hex = "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
        "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
    val bytes = ByteArray(hex.length / 2) { hex.substring(it * 2, it * 2 + 2).toInt(16).toByte() }
    return bytes + tag.toByteArray()
}

fun sha256Hex(b: ByteArray): String =
    MessageDigest.getInstance("SHA-256").digest(b).joinToString("") { "%02x".format(it) }

// An access token of another device of the same user, straight from the REST API.
fun apiToken(server: String, user: String): String {
    val c = URI("$server/api/v1/auth/login").toURL().openConnection() as HttpURLConnection
    c.requestMethod = "POST"
    c.doOutput = true
    c.setRequestProperty("Content-Type", "application/json")
    c.outputStream.use {
        it.write("""{"username":"$user","password":"demo","device_name":"jvm http"}""".toByteArray())
    }
    val body = c.inputStream.use { it.readBytes().decodeToString() }
    return Regex("\"access_token\"\\s*:\\s*\"([^\"]+)\"").find(body)?.groupValues?.get(1)
        ?: error("no access token in $body")
}

// GET with a bearer token: status and body bytes.
fun httpGet(url: String, token: String): Pair<Int, ByteArray> {
    val c = URI(url).toURL().openConnection() as HttpURLConnection
    c.setRequestProperty("Authorization", "Bearer $token")
    val status = c.responseCode
    val stream = if (status < 400) c.inputStream else c.errorStream
    return status to (stream?.use { it.readBytes() } ?: ByteArray(0))
}

suspend fun scenario(server: String, scratch: String) {
    // Fails with "UniFFI API checksum mismatch" if the bindings are stale for this library.
    uniffiEnsureInitialized()
    check("bindings match the library", true)

    val client = FieldClient.open("$scratch/device")
    throws<FieldException.InvalidInput>("bad id is InvalidInput") { client.getCustomer("nope") }
    throws<FieldException.InvalidInput>("bad server URL is InvalidInput") {
        client.login("not a url", "rep.sh", "demo", "jvm test")
    }
    throws<FieldException.Unauthorized>("wrong password is Unauthorized") {
        client.login(server, "rep.sh", "wrong", "jvm test")
    }

    val session = client.login(server, "rep.sh", "demo", "jvm test")
    check("login", session.username == "rep.sh" && session.role == "rep") { "$session" }
    val writable = client.writableCustomerFields()
    check("policy: tier writable, owner not", "tier" in writable && "owner" !in writable) { "$writable" }

    val first = client.syncNow()
    check("first sync receives customers", first.docsReceived > 0u) { "$first" }
    val customers = client.listCustomers(null, 50u, 0u)
    check("customers listed", customers.isNotEmpty())
    val id = customers.first().id
    val before = client.getCustomer(id)

    client.setCustomerFields(id, listOf(FieldValue("tier", "B")))
    check("offline edit is pending", client.pendingCount() == 1L)
    check("offline edit shows locally", client.getCustomer(id).tier == "B")
    val pushed = client.syncNow()
    check("edit accepted", pushed.accepted == 1uL && pushed.compensated == 0uL) { "$pushed" }
    check("nothing pending after sync", client.pendingCount() == 0L)

    val recorder = Recorder()
    val live = client.startLive(recorder)
    check("live: caught up", waitFor(recorder) { it is SyncEvent.CaughtUp } != null) { "${recorder.events}" }
    val elsewhere = UUID.randomUUID().toString()
    client.setCustomerFields(id, listOf(FieldValue("owner", elsewhere)))
    val ev = waitFor(recorder) { it is SyncEvent.Compensated }
    check(
        "live: forbidden owner edit comes back compensated to the listener",
        ev is SyncEvent.Compensated && ev.doc == id && "owner" in ev.paths,
    ) { "${recorder.events}" }
    check("owner restored", client.getCustomer(id).owner == before.owner)

    val visit = client.startVisit(id, 31.23, 121.47, 10.0)
    client.finishVisit(visit, "order next week", "met the buyer", null, null)
    var pending = client.pendingCount()
    repeat(100) {
        if (pending == 0L) return@repeat
        delay(50)
        pending = client.pendingCount()
    }
    check("visit pushed live", pending == 0L) { "pending $pending" }

    // A photo of the visit: stored on the device, uploaded live, then fetched through the API
    // byte-identical.
    val photo = png("jvm-" + UUID.randomUUID())
    throws<FieldException.InvalidInput>("a photo that is not what its type says is InvalidInput") {
        client.addVisitPhoto(visit, photo, "image/jpeg", "")
    }
    val sha = client.addVisitPhoto(visit, photo, "image/png", "门头照 storefront")
    check("photo address is its SHA-256", sha == sha256Hex(photo)) { sha }
    val uploads = waitFor(recorder) { it is SyncEvent.UploadsFinished }
    check(
        "live: photo uploaded",
        uploads is SyncEvent.UploadsFinished && uploads.uploaded == 1uL && uploads.failed == 0uL,
    ) { "${recorder.events}" }
    val shown = client.getVisit(visit)
    check(
        "visit shows the uploaded photo with its local file",
        shown.photos.size == 1 && shown.photos[0].uploaded && shown.photos[0].sha256 == sha &&
            shown.photos[0].localPath?.let { java.io.File(it).readBytes().contentEquals(photo) } == true,
    ) { "$shown" }
    check("no uploads pending", client.status().pendingUploads == 0uL)
    val summary = client.listVisits(id, 10u, 0u).firstOrNull { it.id == visit }
    check("visit listed with its photo", summary?.photoCount == 1u) { "$summary" }
    val (status, fetched) = httpGet("$server/api/v1/attachments/$sha", apiToken(server, "rep.sh"))
    check("photo fetched through the API byte-identical", status == 200 && fetched.contentEquals(photo)) {
        "HTTP $status, ${fetched.size} bytes"
    }
    val (otherStatus, _) = httpGet("$server/api/v1/attachments/$sha", apiToken(server, "rep.bj"))
    check("another territory's rep gets 404", otherStatus == 404) { "HTTP $otherStatus" }

    live.stop()
    check("live stopped", !live.isRunning())
    check("listener saw the disconnect", recorder.events.lastOrNull() is SyncEvent.Disconnected) { "${recorder.events}" }
    val afterStop = recorder.events.size
    delay(200)
    check("no events after stop", recorder.events.size == afterStop) { "${recorder.events}" }
    check("compensation notice", client.notices().any { it.kind == NoticeKind.COMPENSATED })
    live.close()

    // An order taken offline: a draft with one line, submitted, synced; the server has it
    // submitted (and numbered, once it prices orders).
    throws<FieldException.InvalidInput>("an order line with a bad product id is InvalidInput") {
        client.createOrder(id, listOf(OrderLineInput("nope", 1.0, 0L, null, "")), "")
    }
    val product = UUID.randomUUID().toString()
    val orderId = client.createOrder(id, listOf(OrderLineInput(product, 3.0, 500L, "2026-09-01", "")), "请尽快 asap")
    val draft = client.getOrder(orderId)
    check(
        "draft order with its line and the rep's steps",
        draft.status == OrderStatus.DRAFT && draft.lines.size == 1 && draft.lines[0].productId == product &&
            draft.steps == listOf(OrderStep.SUBMIT, OrderStep.CANCEL, OrderStep.EDIT_LINES),
    ) { "$draft" }
    client.submitOrder(orderId)
    check("submitted order: only cancel is left to the rep", client.getOrder(orderId).steps == listOf(OrderStep.CANCEL))
    val orderSync = client.syncNow()
    check("order pushed and not rejected", orderSync.pushed == 1uL && orderSync.rejected == 0uL) { "$orderSync" }
    val synced = client.getOrder(orderId)
    check(
        "order submitted after sync (number SO-YYYY-NNNNNN if the server gave one)",
        synced.status == OrderStatus.SUBMITTED &&
            synced.number.let { it == null || Regex("^SO-\\d{4}-\\d{6}$").matches(it) },
    ) { "$synced" }
    check("order listed for the customer", client.listOrders(id).any { it.id == orderId && !it.pending })

    client.logout()
    check("logout", client.session() == null)
    client.close()
}

// The engineer's day: the office's dispatch arrives (the listener is told), the engineer works it
// offline to completion with a photo and the customer's signature, syncs; the server has it.
// The dispatch was created for engineer.jvm by the Rust side of the harness
// (mobile-bindings/examples/jvm_fixture.rs) before the server started.
suspend fun dispatchScenario(server: String, scratch: String) {
    val phone = FieldClient.open("$scratch/engineer-device")
    val session = phone.login(server, "engineer.jvm", "demo", "jvm engineer")
    check("engineer login", session.role == "engineer") { "$session" }
    val recorder = Recorder()
    val live = phone.startLive(recorder)
    val arrived = waitFor(recorder) { it is SyncEvent.Arrived && it.kind == "dispatch" } as SyncEvent.Arrived?
    check("live: Arrived(dispatch) reaches the listener", arrived != null && arrived.docs.size == 1) { "${recorder.events}" }
    check("live: caught up", waitFor(recorder) { it is SyncEvent.CaughtUp } != null) { "${recorder.events}" }
    // Offline from here on.
    live.stop()
    live.close()

    val list = phone.listDispatches()
    check(
        "the dispatch is listed, assigned, with the site",
        list.size == 1 && list[0].id == arrived?.docs?.firstOrNull() && list[0].status == DispatchStatus.ASSIGNED &&
            list[0].customerName == "华联超市 Hualian",
    ) { "$list" }
    val id = list.firstOrNull()?.id ?: return
    val card = phone.getDispatch(id)
    check("work screen: contact and description", card.site.contactPhone == "13800000000" && card.description.contains("engineer.jvm")) { "$card" }
    check("steps from assigned: accept only", card.steps == listOf(DispatchStep.ACCEPT)) { "${card.steps}" }
    throws<FieldException.Forbidden>("completing before accepting is Forbidden") { phone.completeDispatch(id) }
    phone.acceptDispatch(id)
    check(
        "steps once accepted",
        phone.getDispatch(id).steps == listOf(
            DispatchStep.EN_ROUTE, DispatchStep.CHECK_IN, DispatchStep.LOG, DispatchStep.ADD_PART,
            DispatchStep.ADD_PHOTO, DispatchStep.SIGN, DispatchStep.UNABLE,
        ),
    )
    throws<FieldException.Forbidden>("completing before the check-in is Forbidden") { phone.completeDispatch(id) }
    phone.setDispatchEnRoute(id)
    phone.checkInDispatch(id, 31.2304, 121.4737, 6.0)
    val onSite = phone.getDispatch(id)
    check("checked in on site with the position", onSite.status == DispatchStatus.ON_SITE && onSite.checkIn?.lat == 31.2304) { "$onSite" }
    throws<FieldException.InvalidInput>("completing without the signature is InvalidInput") { phone.completeDispatch(id) }
    throws<FieldException.InvalidInput>("a blank work log entry is InvalidInput") { phone.logDispatchWork(id, " ") }
    phone.logDispatchWork(id, "更换压缩机继电器 replaced the relay")
    val part = UUID.randomUUID().toString()
    phone.addDispatchPart(id, part, 1.0, listOf("RL-778"))
    val photo = png("jvm-dispatch-" + UUID.randomUUID())
    val photoSha = phone.addDispatchPhoto(id, photo, "image/png", "旧继电器 old relay")
    val signature = png("jvm-signature-" + UUID.randomUUID())
    val signatureSha = phone.signDispatch(id, signature, "image/png")
    check("signature address is its SHA-256", signatureSha == sha256Hex(signature))
    check("complete is open once signed", DispatchStep.COMPLETE in phone.getDispatch(id).steps)
    phone.completeDispatch(id)
    throws<FieldException.InvalidInput>("a survey score of 6 is InvalidInput") { phone.recordDispatchSurvey(id, 6L, "") }
    phone.recordDispatchSurvey(id, 5L, "很快 fast")
    val done = phone.getDispatch(id)
    check("completed offline, only the survey is left", done.status == DispatchStatus.COMPLETED && done.steps == listOf(DispatchStep.SURVEY)) { "$done" }
    val offline = phone.status()
    check("offline: one dispatch and two files pending", offline.pendingDocs == 1L && offline.pendingUploads == 2uL) { "$offline" }

    val report = phone.syncNow()
    check("sync: accepted as sent", report.accepted == 1uL && report.compensated == 0uL && report.rejected == 0uL) { "$report" }
    val after = phone.status()
    check("nothing pending after sync", after.pendingDocs == 0L && after.pendingUploads == 0uL) { "$after" }

    // The server has it: another device of the engineer receives it complete, with both files.
    val other = FieldClient.open("$scratch/engineer-device-2")
    other.login(server, "engineer.jvm", "demo", "jvm engineer 2")
    other.syncNow()
    val remote = other.getDispatch(id)
    check(
        "server: completed with the work log, the part, the photo, the signature and the survey",
        remote.status == DispatchStatus.COMPLETED && remote.workLog.map { it.text } == listOf("更换压缩机继电器 replaced the relay") &&
            remote.parts.singleOrNull()?.let { it.productId == part && it.serials == listOf("RL-778") } == true &&
            remote.photos.singleOrNull()?.sha256 == photoSha && remote.signature?.sha256 == signatureSha &&
            remote.survey?.score == 5L && remote.completedAt != null,
    ) { "$remote" }
    val (status, fetched) = httpGet("$server/api/v1/attachments/$signatureSha", apiToken(server, "engineer.jvm"))
    check("signature fetched through the API byte-identical", status == 200 && fetched.contentEquals(signature)) { "HTTP $status" }
    val (otherStatus, _) = httpGet("$server/api/v1/attachments/$photoSha", apiToken(server, "engineer.kit"))
    check("another engineer gets 404 for the photo", otherStatus == 404) { "HTTP $otherStatus" }
    other.logout()
    other.close()
    phone.logout()
    phone.close()
}

fun main(args: Array<String>) {
    if (args.size != 2) {
        println("usage: MainKt <server-url> <scratch-dir>")
        exitProcess(2)
    }
    try {
        runBlocking {
            scenario(args[0], args[1])
            dispatchScenario(args[0], args[1])
        }
    } catch (e: Throwable) {
        failed++
        println("FAIL unexpected exception: $e")
        e.printStackTrace()
    }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
