// Tests of the kit's pure parts: draft validation, the writable-field rule, and the fake's
// behaviour the app's tests rely on (pending work, compensation with a notice and an event, the
// dispatch workflow's steps, an order priced and numbered on sync).
import XCTest
@testable import FieldCRMKit

final class FieldCRMKitTests: XCTestCase {
    func testDraftValidation() {
        XCTAssertEqual(ContactDraft(name: " ").problem, .nameRequired)
        XCTAssertEqual(ContactDraft(name: "李雷", email: "nope").problem, .emailInvalid)
        XCTAssertEqual(ContactDraft(name: "李雷", phones: ["abc"]).problem, .phoneInvalid)
        XCTAssertNil(ContactDraft(name: "李雷", phones: ["+86 139 0000 0000", ""], email: "li@example.com").problem)
    }

    func testWritableSetCoversNestedFields() {
        let writable: Set<String> = ["address", "tier"]
        XCTAssertTrue(writable.allows("address.city"))
        XCTAssertTrue(writable.allows("tier"))
        XCTAssertFalse(writable.allows("owner"))
    }

    func testForbiddenEditIsCompensatedOnSyncWithNoticeAndEvent() async throws {
        let repo = FakeFieldRepository()
        repo.signIn()
        let events = repo.updates()
        try await repo.updateCustomer(id: "c-a", fields: ["owner": "someone", "tier": "B"])
        XCTAssertEqual(repo.syncState.pendingChanges, 1)
        let report = try await repo.syncNow()
        XCTAssertEqual(report.compensated, 1)
        let c = try await repo.customer(id: "c-a")
        XCTAssertEqual(c.owner, "u-1")
        XCTAssertEqual(c.tier, "B")
        XCTAssertEqual(repo.syncState.pendingChanges, 0)
        var iterator = events.makeAsyncIterator()
        let first = await iterator.next()
        XCTAssertEqual(first, .compensated(docID: "c-a", paths: ["owner"]))
        let notices = try await repo.notices()
        XCTAssertEqual(notices.first?.kind, .compensated)
        XCTAssertEqual(repo.syncState.unseenNotices, 0)
    }

    func testVisitWithPhotoUploadsOnSync() async throws {
        let repo = FakeFieldRepository()
        repo.signIn()
        let id = try await repo.checkIn(customerID: "c-b", fix: GeoFix(lat: 31.2, lon: 121.4, accuracyM: 5))
        let sha = try await repo.addVisitPhoto(visitID: id, bytes: Data([0xFF, 0xD8, 0xFF]), contentType: "image/jpeg", caption: "门头")
        XCTAssertEqual(sha.count, 64)
        XCTAssertEqual(repo.syncState.pendingUploads, 1)
        try await repo.checkOut(visitID: id, outcome: "ok", notes: "n", fix: nil)
        do {
            try await repo.setVisitNotes(visitID: id, notes: "late")
            XCTFail("a closed visit accepted notes")
        } catch FieldError.invalidInput {}
        try await repo.syncNow()
        let photo = try await repo.visit(id: id).photos.first
        XCTAssertEqual(photo?.uploaded, true)
        XCTAssertEqual(repo.syncState.pendingUploads, 0)
    }

    func testOrderLineDraftValidation() {
        XCTAssertEqual(OrderLineDraft(productID: " ", quantity: 1).problem, .productRequired)
        XCTAssertEqual(OrderLineDraft(productID: "p-1", quantity: 0).problem, .quantityInvalid)
        XCTAssertEqual(OrderLineDraft(productID: "p-1", quantity: 1.2345).problem, .quantityInvalid)
        XCTAssertEqual(OrderLineDraft(productID: "p-1", quantity: 1, discountBp: 10_001).problem, .discountInvalid)
        XCTAssertEqual(OrderLineDraft(productID: "p-1", quantity: 1, requestedDelivery: "next week").problem, .dateInvalid)
        XCTAssertNil(OrderLineDraft(productID: "p-1", quantity: 2.5, discountBp: 500, requestedDelivery: "2026-09-01").problem)
    }

    func testDispatchStepsFollowTheWorkflowAndTheArrivalIsAnnounced() async throws {
        let repo = FakeFieldRepository()
        repo.signIn(username: "engineer", role: "engineer")
        let events = repo.updates()
        let id = repo.deliverDispatch()
        var iterator = events.makeAsyncIterator()
        _ = await iterator.next()
        let arrived = await iterator.next()
        XCTAssertEqual(arrived, .arrived(kind: "dispatch", docIds: [id]))
        var steps = try await repo.dispatch(id: id).steps
        XCTAssertEqual(steps, [.accept])
        do {
            try await repo.completeDispatch(id: id)
            XCTFail("completed before the check-in")
        } catch FieldError.forbidden {}
        try await repo.acceptDispatch(id: id)
        steps = try await repo.dispatch(id: id).steps
        XCTAssertEqual(steps, [.enRoute, .checkIn, .log, .addPart, .addPhoto, .sign, .unable])
        try await repo.checkInDispatch(id: id, fix: GeoFix(lat: 31.23, lon: 121.47, accuracyM: 6))
        do {
            try await repo.completeDispatch(id: id)
            XCTFail("completed without the signature")
        } catch FieldError.invalidInput {}
        _ = try await repo.signDispatch(id: id, png: Data([0x89, 0x50, 0x4E, 0x47]))
        let signed = try await repo.dispatch(id: id)
        XCTAssertTrue(signed.steps.contains(.complete))
        try await repo.completeDispatch(id: id)
        steps = try await repo.dispatch(id: id).steps
        XCTAssertEqual(steps, [.survey])
        XCTAssertEqual(repo.syncState.pendingUploads, 1)
        try await repo.syncNow()
        let synced = try await repo.dispatch(id: id)
        XCTAssertEqual(synced.signature?.uploaded, true)
    }

    func testAnOrderIsPricedAndNumberedOnSync() async throws {
        let repo = FakeFieldRepository()
        repo.signIn()
        let id = try await repo.createOrder(customerID: "c-a", lines: [OrderLineDraft(productID: "p-2", quantity: 2, discountBp: 1_500)], notes: "")
        let draft = try await repo.order(id: id)
        XCTAssertEqual(draft.steps, [.submit, .cancel, .editLines])
        try await repo.submitOrder(id: id)
        let submitted = try await repo.order(id: id)
        XCTAssertEqual(submitted.steps, [.cancel])
        try await repo.syncNow()
        let o = try await repo.order(id: id)
        XCTAssertEqual(o.number, "SO-2026-000001")
        XCTAssertEqual(o.lines.first?.discountBp, FakeFieldRepository.maxDiscountBp)
        XCTAssertEqual(o.total, 15_300)
    }
}
