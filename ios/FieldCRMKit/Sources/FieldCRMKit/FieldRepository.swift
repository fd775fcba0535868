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

    // MARK: Orders (a rep's sales orders)

    /// Orders on the device, newest first; of one customer or (nil) all.
    func orders(customerID: String?) async throws -> [OrderSummary]
    /// One order in full, with the steps open to the user (``Order/steps``).
    func order(id: String) async throws -> Order
    /// Starts a draft order for a customer with `lines` (priced by the server on sync); returns its id.
    func createOrder(customerID: String, lines: [OrderLineDraft], notes: String) async throws -> String
    /// Sends a draft to the office (``OrderStep/submit``).
    func submitOrder(id: String) async throws
    /// Cancels an order with the reason (``OrderStep/cancel``).
    func cancelOrder(id: String, reason: String) async throws

    // MARK: Dispatches (an engineer's service jobs)

    /// The user's dispatches on the device, by scheduled time.
    func dispatches() async throws -> [DispatchSummary]
    /// One dispatch in full, with the steps open to the user (``Dispatch/steps``).
    func dispatch(id: String) async throws -> Dispatch
    /// ``DispatchStep/accept``: takes the job.
    func acceptDispatch(id: String) async throws
    /// ``DispatchStep/enRoute``: sets off.
    func setDispatchEnRoute(id: String) async throws
    /// ``DispatchStep/checkIn``: arrives now, with the position when there is a fix.
    func checkInDispatch(id: String, fix: GeoFix?) async throws
    /// ``DispatchStep/log``: adds a work log entry.
    func logDispatchWork(id: String, text: String) async throws
    /// ``DispatchStep/addPart``: records a part used (serials of serial-tracked parts).
    func addDispatchPart(id: String, productID: String, quantity: Double, serials: [String]) async throws
    /// ``DispatchStep/addPhoto``: attaches a photo (uploaded by sync); returns its sha256.
    func addDispatchPhoto(id: String, bytes: Data, contentType: String, caption: String) async throws -> String
    /// ``DispatchStep/sign``: the customer's signature as a PNG image; returns its sha256.
    func signDispatch(id: String, png: Data) async throws -> String
    /// ``DispatchStep/complete``: finishes the job (needs the check-in and the signature).
    func completeDispatch(id: String) async throws
    /// ``DispatchStep/unable``: gives up, with the reason.
    func markDispatchUnable(id: String, reason: String) async throws
    /// ``DispatchStep/survey``: the customer's satisfaction (1–5) after completion.
    func recordDispatchSurvey(id: String, score: Int, comment: String) async throws
}
