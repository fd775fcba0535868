// JVM test of the generated Kotlin bindings against the real library and a real server.
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

    client.logout()
    check("logout", client.session() == null)
    client.close()
}

fun main(args: Array<String>) {
    if (args.size != 2) {
        println("usage: MainKt <server-url> <scratch-dir>")
        exitProcess(2)
    }
    try {
        runBlocking { scenario(args[0], args[1]) }
    } catch (e: Throwable) {
        failed++
        println("FAIL unexpected exception: $e")
        e.printStackTrace()
    }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
