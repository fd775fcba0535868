// Tests of the kit's pure parts: draft validation, the writable-field rule, and the fake's
// behaviour the app's tests rely on (pending work, compensation with a notice and an event).
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
}
