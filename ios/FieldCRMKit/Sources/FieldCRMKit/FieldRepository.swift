// The app's only door to the field client. Views and view models depend on this protocol; the
// real implementation (UniffiFieldRepository) wraps the generated bindings, FakeFieldRepository
// backs tests and previews.
import Foundation

/// The device's CRM data and its sync. Every write is committed locally first and survives the
/// app being killed; sync pushes it later. Every call may throw ``FieldError``.
public protocol FieldRepository: AnyObject, Sendable {
    /// The sync status bar's state now.
    var syncState: SyncState { get }
    /// The state now and every change after it (a new stream per caller).
    func syncStates() -> AsyncStream<SyncState>
    /// Live sync events from now on (a new stream per caller).
    func updates() -> AsyncStream<SyncUpdate>
    /// Whether live sync is running.
    var isLive: Bool { get }

    func session() async throws -> UserSession?
    /// Signs in with a password, registering this device (another user's data is wiped first).
    func login(serverURL: String, username: String, password: String, deviceName: String) async throws -> UserSession
    /// Stops live sync, forgets the session and wipes local data.
    func logout() async throws
    /// Re-reads pending work, last sync and notices into ``syncState``.
    @discardableResult func refreshState() async throws -> SyncState
    /// One full sync: catch up, push local work, wait for the verdicts.
    @discardableResult func syncNow() async throws -> SyncSummary
    /// Starts staying connected; does nothing if already running.
    func startLiveSync() async throws
    /// Stops live sync and waits for it to end.
    func stopLiveSync() async
    /// Every notice, newest first; marks them seen.
    func notices() async throws -> [Notice]

    /// Customers by name; `query` matches name, code, phones, e-mail, contacts, city, district.
    func customers(query: String?, limit: Int, offset: Int) async throws -> [CustomerSummary]
    func customer(id: String) async throws -> Customer
    /// The customer fields the signed-in user may write (top-level names; see `Set.allows`).
    func writableCustomerFields() async throws -> Set<String>
    /// Creates a customer; returns its id.
    func createCustomer(name: String, fields: [String: String]) async throws -> String
    /// Sets fields (`tier`, `address.city`, `phones` = "a, b", `custom.KEY`; "" clears) in one change.
    func updateCustomer(id: String, fields: [String: String]) async throws

    func addContact(customerID: String, contact: ContactDraft) async throws -> String
    func updateContact(customerID: String, contactID: String, contact: ContactDraft) async throws
    func removeContact(customerID: String, contactID: String) async throws

    /// Visits, newest first, of one customer or (nil) all visible ones.
    func visits(customerID: String?, limit: Int, offset: Int) async throws -> [VisitSummary]
    func visit(id: String) async throws -> Visit
    /// Checks in at a customer now; returns the visit's id.
    func checkIn(customerID: String, fix: GeoFix?) async throws -> String
    func setVisitNotes(visitID: String, notes: String) async throws
    /// Attaches a photo (kept locally, uploaded by sync); returns its sha256.
    func addVisitPhoto(visitID: String, bytes: Data, contentType: String, caption: String) async throws -> String
    /// Checks out of a visit now with its outcome and notes.
    func checkOut(visitID: String, outcome: String, notes: String, fix: GeoFix?) async throws
}
