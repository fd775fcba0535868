// XCTest of the app's view models over FakeFieldRepository (no server, no Rust library needed at
// run time beyond linking): login, search, read-only fields, contact validation, a visit from
// check-in to check-out with a photo, compensation notices, the status bar text, a dispatch worked
// to completion through its buttons' steps, an order entered line by line and submitted.
import FieldCRMKit
import XCTest
@testable import FieldCRM

/// A position source with no permission prompt and no GPS.
private struct FixedLocator: Locator {
    func fix() async -> GeoFix? { GeoFix(lat: 31.2304, lon: 121.4737, accuracyM: 9) }
}

@MainActor
final class ViewModelTests: XCTestCase {
    private var repo: FakeFieldRepository!

    override func setUp() async throws {
        repo = FakeFieldRepository()
    }

    func testLoginRefusesAWrongPasswordThenSignsInAndSyncs() async throws {
        let model = LoginViewModel(repo: repo, deviceName: "test")
        model.serverURL = "http://crm.example.com"
        model.username = "rep.sh"
        model.password = "wrong"
        await model.submit()
        XCTAssertEqual(model.step, .form)
        XCTAssertEqual(model.error as? FieldError, .unauthorized("wrong username or password"))
        XCTAssertEqual(model.password, "")

        model.password = "demo"
        await model.submit()
        XCTAssertEqual(model.step, .done)
        XCTAssertFalse(model.firstSyncSkipped)
        XCTAssertEqual(repo.syncCount, 1)
        XCTAssertTrue(repo.isLive)
    }

    func testLoginOfflineShowsTheOfflineError() async throws {
        repo.online = false
        let model = LoginViewModel(repo: repo, deviceName: "test")
        model.serverURL = "http://crm.example.com"
        model.username = "rep.sh"
        model.password = "demo"
        await model.submit()
        XCTAssertEqual(model.step, .form)
        XCTAssertEqual(model.error as? FieldError, .offline("server unreachable"))
        XCTAssertEqual(errorText(try XCTUnwrap(model.error)), L("error_offline"))
    }

    func testSearchNarrowsTheList() async throws {
        repo.signIn()
        let model = CustomerListViewModel(repo: repo)
        await model.reload()
        XCTAssertEqual(model.customers.count, 3)
        model.query = "harbour"
        await model.reload()
        XCTAssertEqual(model.customers.map(\.name), ["Harbour Logistics"])
        model.query = "王芳"
        await model.reload()
        XCTAssertEqual(model.customers.map(\.id), ["c-a"], "search matches contact names")
    }

    func testFieldsTheRoleMayNotWriteAreReadOnlyAndNotSent() async throws {
        repo.signIn()
        repo.writable = FakeFieldRepository.repWritable.subtracting(["tier"])
        let model = CustomerEditViewModel(repo: repo, customerID: "c-a")
        await model.load()
        XCTAssertEqual(model.rows.first { $0.field == "tier" }?.writable, false)
        XCTAssertEqual(model.rows.first { $0.field == "address.city" }?.writable, true)
        XCTAssertEqual(model.serverOwned.map(\.0), ["territory", "owner"])
        XCTAssertFalse(model.canSave)

        let district = model.rows.firstIndex { $0.field == "address.district" }!
        model.rows[district].value = "静安"
        XCTAssertTrue(model.canSave)
        await model.save()
        XCTAssertTrue(model.saved)
        let c = try await repo.customer(id: "c-a")
        XCTAssertEqual(c.address.district, "静安")
        XCTAssertEqual(c.tier, "A")
        XCTAssertEqual(repo.syncState.pendingChanges, 1)
    }

    func testContactIsValidatedThenSaved() async throws {
        repo.signIn()
        let model = ContactEditViewModel(repo: repo, customerID: "c-b", contactID: nil)
        await model.load()
        model.draft.email = "not-an-email"
        await model.save()
        XCTAssertEqual(model.problem, .nameRequired)
        model.draft.name = "赵敏 Zhao Min"
        await model.save()
        XCTAssertEqual(model.problem, .emailInvalid)
        model.draft.email = "zhaomin@example.com"
        model.phonesText = "13700000000， 021-6666"
        await model.save()
        XCTAssertTrue(model.saved)
        let k = try await repo.customer(id: "c-b").contacts.first
        XCTAssertEqual(k?.name, "赵敏 Zhao Min")
        XCTAssertEqual(k?.phones, ["13700000000", "021-6666"])
    }

    func testVisitFromCheckInToCheckOutWithAPhoto() async throws {
        repo.signIn()
        let card = CustomerViewModel(repo: repo, customerID: "c-a")
        await card.load()
        await card.checkIn(locator: FixedLocator())
        let visitID = try XCTUnwrap(card.openedVisit)
        XCTAssertEqual(card.openVisit?.id, visitID)

        let model = VisitViewModel(repo: repo, visitID: visitID)
        await model.start()
        XCTAssertEqual(model.visit?.checkIn?.lat, 31.2304)
        model.notes = "见了采购 met the buyer"
        await model.saveNotes()
        await model.addPhoto(Data([0xFF, 0xD8, 0xFF, 0xE0]), caption: " 门头 ")
        XCTAssertEqual(model.visit?.photos.first?.caption, "门头")
        XCTAssertEqual(repo.syncState.pendingUploads, 1)
        model.outcome = "下周下单"
        await model.checkOut(locator: FixedLocator())
        let v = try await repo.visit(id: visitID)
        XCTAssertFalse(v.isOpen)
        XCTAssertEqual(v.outcome, "下周下单")
        XCTAssertEqual(v.notes, "见了采购 met the buyer")
        XCTAssertNotNil(v.checkOut?.lat)
        try await repo.syncNow()
        XCTAssertEqual(repo.syncState.pendingUploads, 0)
    }

    func testCompensationIsListedAsANoticeAndMarkedSeen() async throws {
        repo.signIn()
        try await repo.updateCustomer(id: "c-a", fields: ["owner": "someone-else"])
        try await repo.syncNow()
        XCTAssertEqual(repo.syncState.unseenNotices, 1)
        let model = NoticesViewModel(repo: repo)
        await model.load()
        XCTAssertEqual(model.notices.first?.kind, .compensated)
        XCTAssertTrue(model.notices.first?.message.contains("owner") ?? false)
        XCTAssertEqual(repo.syncState.unseenNotices, 0)
    }

    func testStatusBarText() {
        var s = SyncState()
        s.connection = .connected
        s.pendingChanges = 2
        s.pendingUploads = 1
        let text = syncStatusText(s)
        XCTAssertTrue(text.contains(L("sync_connected")))
        XCTAssertTrue(text.contains(L("sync_pending_other", Int64(2))))
        XCTAssertTrue(text.contains(L("sync_uploads_one", Int64(1))))
        XCTAssertTrue(text.contains(L("sync_never")))
    }

    func testADispatchIsWorkedToCompletionThroughItsSteps() async throws {
        repo.signIn(username: "engineer", role: "engineer")
        let list = DispatchListViewModel(repo: repo)
        await list.start()
        let id = repo.deliverDispatch()
        await list.reload()
        XCTAssertEqual(list.open.map(\.id), [id])

        let model = DispatchViewModel(repo: repo, dispatchID: id)
        await model.start()
        XCTAssertTrue(model.can(.accept))
        XCTAssertFalse(model.can(.complete))
        await model.complete()
        XCTAssertEqual(model.error as? FieldError, .forbidden("the dispatch is assigned"))
        await model.accept()
        await model.enRoute()
        await model.checkIn(locator: FixedLocator())
        XCTAssertEqual(model.dispatch?.checkIn?.lat, 31.2304)
        XCTAssertTrue(model.needsSignature)
        model.logText = "更换继电器 replaced the relay"
        await model.addLog()
        XCTAssertEqual(model.logText, "")
        await model.addPart(productID: "p-2", quantity: 1, serials: "RL-1, RL-2")
        await model.sign(Data([0x89, 0x50, 0x4E, 0x47]))
        XCTAssertTrue(model.can(.complete))
        await model.complete()
        await model.survey(score: 5, comment: "很好")
        let done = try XCTUnwrap(model.dispatch)
        XCTAssertEqual(done.status, .completed)
        XCTAssertEqual(done.parts.first?.serials, ["RL-1", "RL-2"])
        XCTAssertEqual(done.survey?.score, 5)
        XCTAssertNil(model.error)
    }

    func testAnOrderIsEnteredLineByLineAndSubmitted() async throws {
        repo.signIn()
        let model = OrderEntryViewModel(repo: repo, customerID: "c-a", catalog: repo.catalog)
        await model.start()
        XCTAssertEqual(model.customerName, "华联超市 Hualian")
        XCTAssertFalse(model.canSave)
        model.form.productQuery = "relay"
        await model.searchProducts()
        XCTAssertEqual(model.productResults.map(\.id), ["p-2"])
        model.pick(model.productResults[0])
        model.form.quantity = "0"
        model.addLine()
        XCTAssertEqual(model.lineProblem, .quantityInvalid)
        model.form.quantity = "2"
        model.form.discountPercent = "15"
        model.addLine()
        XCTAssertEqual(model.lines.first?.discountBp, 1_500)
        await model.save(submit: true)
        let id = try XCTUnwrap(model.savedOrderID)
        let submitted = try await repo.order(id: id)
        XCTAssertEqual(submitted.status, .submitted)
    }
}
