// JVM test of the generated Kotlin bindings against the real library and a real server.
// Usage: java ... MainKt <server-url> <scratch-dir>; prints "N passed, N failed", exits 1 on failure.

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
