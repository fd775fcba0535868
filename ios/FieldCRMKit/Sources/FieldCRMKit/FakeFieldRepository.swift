// An in-memory FieldRepository for tests and SwiftUI previews. It behaves like the real one
// where the app can tell: local writes are pending until syncNow, fields outside the writable set
// come back compensated on sync (with a notice and a SyncUpdate), orders and dispatches follow
// the same workflow steps as the core (illegal steps throw .forbidden), the office's dispatching
// is simulated by deliverDispatch (with the arrived event), and the next call can be made to fail
// with any FieldError.
import CryptoKit
import Foundation

/// An in-memory ``FieldRepository``; thread-safe (one lock). Ids are `c-N`, `k-N`, `v-N`, `o-N`,
/// `d-N`, `e-N`.
public final class FakeFieldRepository: FieldRepository, @unchecked Sendable {
    private let lock = NSLock()
    private var customersByID: [String: Customer]
    private var order: [String]
    private var synced: [String: Customer]
    private var visitsByID: [String: Visit] = [:]
    private var ordersByID: [String: Order] = [:]
    private var orderUpdated: [String: Int64] = [:]
    private var orderNumbers = 0
    private var dispatchesByID: [String: Dispatch] = [:]
    private let products: [ProductChoice]
    private var pending: Set<String> = []
    private var noticeList: [Notice] = []
    private var currentSession: UserSession?
    private var nextID = 1
    private var live = false
    private let password: String
    private let clock: @Sendable () -> Int64
    private let state = Broadcast<SyncState>(initial: SyncState(), replayLatest: true)
    private let events = Broadcast<SyncUpdate>(replayLatest: false)

    /// The writable customer fields (top-level names), as the server's policy would say.
    public var writable: Set<String>
    /// When set, the next call throws it (once).
    public var failNext: FieldError?
    /// Whether the fake server is reachable (`syncNow` throws `.offline` when false).
    public var online = true
    /// How many times `syncNow` completed.
    public private(set) var syncCount = 0

    /// What the demo policy lets a rep write (everything but territory and owner).
    public static let repWritable: Set<String> = [
        "code", "name", "kind", "tier", "industry", "source", "phones", "email", "address",
        "tags", "birthday", "interests", "contacts", "custom", "notes",
    ]

    /// The largest discount the fake server lets through (basis points).
    public static let maxDiscountBp: Int64 = 1_000

    public init(customers: [Customer] = FakeFieldRepository.sampleCustomers(),
                products: [ProductChoice] = FakeFieldRepository.sampleProducts(), password: String = "demo",
                writable: Set<String> = FakeFieldRepository.repWritable,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.products = products
        customersByID = Dictionary(uniqueKeysWithValues: customers.map { ($0.id, $0) })
        order = customers.map(\.id)
        synced = customersByID
        self.password = password
        self.writable = writable
        self.clock = clock
    }

    /// Signs in without the login screen.
    public func signIn(username: String = "rep.sh", role: String = "rep") {
        lock.withLock { currentSession = UserSession(serverURL: "http://crm.example.com", userID: "u-1", username: username, displayName: username, role: role, deviceID: "d-1") }
        publish()
    }

    /// The product picker over the fake catalog (code or name contains the query).
    public var catalog: ProductCatalog { FakeCatalog(products: products) }

    private struct FakeCatalog: ProductCatalog {
        let products: [ProductChoice]
        func search(_ query: String, limit: Int) async -> [ProductChoice] {
            let q = query.trimmingCharacters(in: .whitespaces).lowercased()
            return Array(products.filter { q.isEmpty || $0.code.lowercased().contains(q) || $0.name.lowercased().contains(q) }.prefix(limit))
        }
    }

    /// Delivers an event as live sync would.
    public func emit(_ update: SyncUpdate) {
        state.update { s in
            if case .connected = update { s.connection = .connected }
            if case .disconnected(let e) = update { s.connection = .offline; s.lastError = e }
        }
        events.send(update)
    }

    private func guarded<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock {
            if let e = failNext { failNext = nil; throw e }
            return try body()
        }
    }

    private func requireSession() throws -> UserSession {
        guard let s = currentSession else { throw FieldError.unauthorized("not logged in") }
        return s
    }

    private func newID(_ prefix: String) -> String {
        defer { nextID += 1 }
        return "\(prefix)-\(nextID)"
    }

    private func publish() {
        let (signedIn, p, u, n) = lock.withLock {
            (currentSession != nil, Int64(pending.count),
             Int64(waitingUploads()),
             Int64(noticeList.filter { !$0.seen }.count))
        }
        state.update { s in
            s.signedIn = signedIn
            s.pendingChanges = p
            s.pendingUploads = u
            s.unseenNotices = n
        }
    }

    /// Photos (and signatures) not on the fake server yet; called under the lock.
    private func waitingUploads() -> Int {
        var n = 0
        for v in visitsByID.values { n += v.photos.filter { !$0.uploaded }.count }
        for d in dispatchesByID.values {
            n += d.photos.filter { !$0.uploaded }.count
            if let sig = d.signature, !sig.uploaded { n += 1 }
        }
        return n
    }

    public var syncState: SyncState { state.value ?? SyncState() }
    public func syncStates() -> AsyncStream<SyncState> { state.stream() }
    public func updates() -> AsyncStream<SyncUpdate> { events.stream() }
    public var isLive: Bool { lock.withLock { live } }

    public func session() async throws -> UserSession? { try guarded { currentSession } }

    public func login(serverURL: String, username: String, password: String, deviceName: String) async throws -> UserSession {
        let s = try guarded { () throws -> UserSession in
            guard serverURL.hasPrefix("http://") || serverURL.hasPrefix("https://") else {
                throw FieldError.invalidInput("server URL must start with http://")
            }
            guard online else { throw FieldError.offline("server unreachable") }
            guard password == self.password, !username.isEmpty else { throw FieldError.unauthorized("wrong username or password") }
            let s = UserSession(serverURL: serverURL, userID: "u-1", username: username, displayName: username, role: "rep", deviceID: "d-1")
            currentSession = s
            return s
        }
        publish()
        return s
    }

    public func logout() async throws {
        try guarded {
            currentSession = nil
            live = false
            pending.removeAll()
            noticeList.removeAll()
        }
        state.send(SyncState())
    }

    @discardableResult
    public func refreshState() async throws -> SyncState {
        _ = try guarded { try requireSession() }
        publish()
        return syncState
    }

    @discardableResult
    public func syncNow() async throws -> SyncSummary {
        let (summary, updates) = try guarded { () throws -> (SyncSummary, [SyncUpdate]) in
            _ = try requireSession()
            guard online else { throw FieldError.offline("server unreachable") }
            var out: [SyncUpdate] = []
            var compensated: Int64 = 0
            for id in pending {
                if var local = customersByID[id], let before = synced[id] {
                    var paths: [String] = []
                    if local.owner != before.owner, !writable.allows("owner") { local.owner = before.owner; paths.append("owner") }
                    if local.territory != before.territory, !writable.allows("territory") { local.territory = before.territory; paths.append("territory") }
                    if local.tier != before.tier, !writable.allows("tier") { local.tier = before.tier; paths.append("tier") }
                    if local.name != before.name, !writable.allows("name") { local.name = before.name; paths.append("name") }
                    if local.contacts != before.contacts, !writable.allows("contacts") { local.contacts = before.contacts; paths.append("contacts") }
                    if !paths.isEmpty {
                        compensated += 1
                        customersByID[id] = local
                        out.append(.compensated(docID: id, paths: paths))
                        noticeList.insert(Notice(id: Int64(noticeList.count + 1), at: clock(), kind: .compensated, docID: id,
                                                 message: "restored: \(paths.joined(separator: ", "))", seen: false), at: 0)
                    }
                }
                if let c = customersByID[id] { synced[id] = c }
            }
            let pushed = Int64(pending.count)
            for id in pending { if let o = ordersByID[id] { ordersByID[id] = priced(o) } }
            pending.removeAll()
            for (id, v) in visitsByID {
                var v = v
                v.photos = v.photos.map { var p = $0; p.uploaded = true; return p }
                visitsByID[id] = v
            }
            for (id, d) in dispatchesByID {
                var d = d
                d.photos = d.photos.map { var p = $0; p.uploaded = true; return p }
                d.signature?.uploaded = true
                dispatchesByID[id] = d
            }
            syncCount += 1
            return (SyncSummary(docsReceived: 0, pushed: pushed, accepted: pushed - compensated, compensated: compensated, rejected: 0, revoked: 0), out)
        }
        state.update { $0.lastSyncAt = clock(); $0.lastError = nil }
        updates.forEach(events.send)
        publish()
        return summary
    }

    public func startLiveSync() async throws {
        try guarded { _ = try requireSession(); live = true }
        let up = online
        state.update { $0.connection = up ? .connected : .connecting }
        events.send(up ? .connected : .disconnected(error: "server unreachable"))
    }

    public func stopLiveSync() async {
        let was = lock.withLock { () -> Bool in defer { live = false }; return live }
        guard was else { return }
        state.update { $0.connection = .offline }
        events.send(.disconnected(error: nil))
    }

    public func notices() async throws -> [Notice] {
        let list = try guarded { () -> [Notice] in
            let copy = noticeList
            noticeList = noticeList.map { var n = $0; n.seen = true; return n }
            return copy
        }
        publish()
        return list
    }

    public func customers(query: String?, limit: Int, offset: Int) async throws -> [CustomerSummary] {
        try guarded {
            _ = try requireSession()
            let q = (query ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            let all = order.compactMap { customersByID[$0] }.filter { c in
                q.isEmpty || ([c.name, c.code, c.email, c.address.city, c.address.district] + c.phones + c.contacts.map(\.name))
                    .contains { $0.lowercased().contains(q) }
            }.sorted { $0.name < $1.name }
            return all.dropFirst(offset).prefix(limit).map { c in
                CustomerSummary(id: c.id, name: c.name, code: c.code, tier: c.tier, industry: c.industry, city: c.address.city,
                                district: c.address.district, phones: c.phones, email: c.email, contacts: c.contacts.map(\.name),
                                pending: pending.contains(c.id), updatedAt: 0)
            }
        }
    }

    public func customer(id: String) async throws -> Customer {
        try guarded {
            _ = try requireSession()
            guard let c = customersByID[id] else { throw FieldError.notFound("customer \(id)") }
            return c
        }
    }

    public func writableCustomerFields() async throws -> Set<String> {
        try guarded { _ = try requireSession(); return writable }
    }

    public func createCustomer(name: String, fields: [String: String]) async throws -> String {
        let id = try guarded { () throws -> String in
            _ = try requireSession()
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw FieldError.invalidInput("name: required") }
            let id = newID("c")
            var c = Self.blank(id: id, name: name)
            for (k, v) in fields { try Self.apply(&c, k, v) }
            customersByID[id] = c
            order.append(id)
            pending.insert(id)
            return id
        }
        publish()
        return id
    }

    public func updateCustomer(id: String, fields: [String: String]) async throws {
        try guarded {
            _ = try requireSession()
            guard var c = customersByID[id] else { throw FieldError.notFound("customer \(id)") }
            for (k, v) in fields { try Self.apply(&c, k, v) }
            customersByID[id] = c
            pending.insert(id)
        }
        publish()
    }

    private func editContacts(_ customerID: String, _ change: (inout [Contact]) throws -> Void) throws {
        _ = try requireSession()
        guard var c = customersByID[customerID] else { throw FieldError.notFound("customer \(customerID)") }
        try change(&c.contacts)
        customersByID[customerID] = c
        pending.insert(customerID)
    }

    private static func contact(_ id: String, _ d: ContactDraft) -> Contact {
        let trim = { (s: String) in s.trimmingCharacters(in: .whitespaces) }
        return Contact(id: id, name: trim(d.name), title: trim(d.title), department: trim(d.department),
                       phones: d.phones.map(trim).filter { !$0.isEmpty }, email: trim(d.email), role: trim(d.role),
                       primary: d.primary, notes: d.notes)
    }

    public func addContact(customerID: String, contact: ContactDraft) async throws -> String {
        let id = try guarded { () throws -> String in
            guard contact.problem != .nameRequired else { throw FieldError.invalidInput("name: required") }
            let id = newID("k")
            try editContacts(customerID) { $0.append(Self.contact(id, contact)) }
            return id
        }
        publish()
        return id
    }

    public func updateContact(customerID: String, contactID: String, contact: ContactDraft) async throws {
        try guarded {
            guard contact.problem != .nameRequired else { throw FieldError.invalidInput("name: required") }
            try editContacts(customerID) { list in
                guard let i = list.firstIndex(where: { $0.id == contactID }) else { throw FieldError.notFound("contact \(contactID)") }
                list[i] = Self.contact(contactID, contact)
            }
        }
        publish()
    }

    public func removeContact(customerID: String, contactID: String) async throws {
        try guarded {
            try editContacts(customerID) { list in
                guard list.contains(where: { $0.id == contactID }) else { throw FieldError.notFound("contact \(contactID)") }
                list.removeAll { $0.id == contactID }
            }
        }
        publish()
    }

    public func visits(customerID: String?, limit: Int, offset: Int) async throws -> [VisitSummary] {
        try guarded {
            _ = try requireSession()
            return visitsByID.values
                .filter { customerID == nil || $0.customerID == customerID }
                .sorted { ($0.checkIn?.at ?? 0) > ($1.checkIn?.at ?? 0) }
                .dropFirst(offset).prefix(limit)
                .map { v in
                    VisitSummary(id: v.id, customerID: v.customerID, customerName: customersByID[v.customerID]?.name ?? "",
                                 checkInAt: v.checkIn?.at, checkOutAt: v.checkOut?.at, purpose: v.purpose, outcome: v.outcome,
                                 photoCount: v.photos.count, pending: pending.contains(v.id))
                }
        }
    }

    public func visit(id: String) async throws -> Visit {
        try guarded {
            _ = try requireSession()
            guard let v = visitsByID[id] else { throw FieldError.notFound("visit \(id)") }
            return v
        }
    }

    public func checkIn(customerID: String, fix: GeoFix?) async throws -> String {
        let id = try guarded { () throws -> String in
            let s = try requireSession()
            guard customersByID[customerID] != nil else { throw FieldError.notFound("customer \(customerID)") }
            let id = newID("v")
            visitsByID[id] = Visit(id: id, customerID: customerID, repID: s.userID,
                                   checkIn: CheckPoint(at: clock(), lat: fix?.lat, lon: fix?.lon, accuracyM: fix?.accuracyM),
                                   checkOut: nil, purpose: "", outcome: "", notes: "", nextStep: "", photos: [])
            pending.insert(id)
            return id
        }
        publish()
        return id
    }

    private func editOpenVisit(_ id: String, _ change: (inout Visit) -> Void) throws {
        _ = try requireSession()
        guard var v = visitsByID[id] else { throw FieldError.notFound("visit \(id)") }
        guard v.isOpen else { throw FieldError.invalidInput("visit already checked out") }
        change(&v)
        visitsByID[id] = v
        pending.insert(id)
    }

    public func setVisitNotes(visitID: String, notes: String) async throws {
        try guarded { try editOpenVisit(visitID) { $0.notes = notes } }
        publish()
    }

    public func addVisitPhoto(visitID: String, bytes: Data, contentType: String, caption: String) async throws -> String {
        let sha = try guarded { () throws -> String in
            guard !bytes.isEmpty else { throw FieldError.invalidInput("photo: empty") }
            guard contentType.hasPrefix("image/") else { throw FieldError.invalidInput("photo: not an image") }
            let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            let at = clock()
            try editOpenVisit(visitID) { v in
                if !v.photos.contains(where: { $0.sha256 == sha }) {
                    v.photos.append(VisitPhoto(sha256: sha, contentType: contentType, takenAt: at, caption: caption, uploaded: false, localPath: nil))
                }
            }
            return sha
        }
        publish()
        return sha
    }

    public func checkOut(visitID: String, outcome: String, notes: String, fix: GeoFix?) async throws {
        let at = clock()
        try guarded {
            try editOpenVisit(visitID) { v in
                v.outcome = outcome.trimmingCharacters(in: .whitespaces)
                v.notes = notes
                v.checkOut = CheckPoint(at: at, lat: fix?.lat, lon: fix?.lon, accuracyM: fix?.accuracyM)
            }
        }
        publish()
    }

    // MARK: - Orders

    /// The server's part of a sync: prices from the fake catalog (discount capped), a number.
    private func priced(_ o: Order) -> Order {
        var o = o
        if o.status == .draft || o.status == .submitted {
            o.lines = o.lines.map { l in
                var l = l
                let p = products.first { $0.id == l.productID }
                let price = p?.listPrice ?? 0
                l.productCode = p?.code ?? ""
                l.productName = p?.name ?? ""
                l.unit = p?.unit ?? ""
                l.unitPrice = price
                l.discountBp = min(l.discountBp, Self.maxDiscountBp)
                let gross = Int64((l.quantity * Double(price)).rounded())
                l.lineTotal = gross - (gross * l.discountBp + 5_000) / 10_000
                l.problem = p == nil ? "unknown product" : ""
                return l
            }
        }
        o.subtotal = o.lines.reduce(0) { $0 + Int64(($1.quantity * Double($1.unitPrice)).rounded()) }
        o.total = o.lines.reduce(0) { $0 + $1.lineTotal }
        o.discountTotal = o.subtotal - o.total
        o.currency = "CNY"
        if o.number == nil {
            orderNumbers += 1
            o.number = String(format: "SO-2026-%06d", orderNumbers)
        }
        return o
    }

    private func orderSteps(_ o: Order) -> Set<OrderStep> {
        let role = currentSession?.role ?? ""
        let office = ["admin", "manager", "office"].contains(role)
        guard office || role == "rep" else { return [] }
        var steps: Set<OrderStep> = []
        if o.status == .draft, !o.lines.isEmpty { steps.insert(.submit) }
        if o.status == .draft || o.status == .submitted || (office && o.status == .confirmed) { steps.insert(.cancel) }
        if o.status == .draft || (office && o.status == .submitted) { steps.insert(.editLines) }
        return steps
    }

    public func orders(customerID: String?) async throws -> [OrderSummary] {
        try guarded {
            _ = try requireSession()
            return ordersByID.values
                .filter { customerID == nil || $0.customerID == customerID }
                .sorted { (orderUpdated[$0.id] ?? 0) > (orderUpdated[$1.id] ?? 0) }
                .map { o in
                    OrderSummary(id: o.id, customerID: o.customerID, customerName: customersByID[o.customerID]?.name ?? "",
                                 number: o.number, status: o.status, currency: o.currency, total: o.total, lineCount: o.lines.count,
                                 pending: pending.contains(o.id), updatedAt: orderUpdated[o.id] ?? 0)
                }
        }
    }

    public func order(id: String) async throws -> Order {
        try guarded {
            _ = try requireSession()
            guard var o = ordersByID[id] else { throw FieldError.notFound("order \(id)") }
            o.steps = orderSteps(o)
            return o
        }
    }

    public func createOrder(customerID: String, lines: [OrderLineDraft], notes: String) async throws -> String {
        let at = clock()
        let id = try guarded { () throws -> String in
            let s = try requireSession()
            guard customersByID[customerID] != nil else { throw FieldError.notFound("customer \(customerID)") }
            if let p = lines.compactMap(\.problem).first { throw FieldError.invalidInput("lines: \(p)") }
            let id = newID("o")
            let orderLines = lines.map { l in
                OrderLine(id: newID("l"), productID: l.productID.trimmingCharacters(in: .whitespaces), productCode: "", productName: "",
                          unit: "", quantity: l.quantity, discountBp: l.discountBp, requestedDelivery: l.requestedDelivery,
                          notes: l.notes, unitPrice: 0, lineTotal: 0, problem: "", shippedQuantity: 0, lots: [])
            }
            ordersByID[id] = Order(id: id, customerID: customerID, number: nil, status: .draft, repID: s.userID, lines: orderLines,
                                   notes: notes.trimmingCharacters(in: .whitespacesAndNewlines), cancelReason: "", currency: "",
                                   subtotal: 0, discountTotal: 0, total: 0, steps: [])
            orderUpdated[id] = at
            pending.insert(id)
            return id
        }
        publish()
        return id
    }

    private func moveOrder(_ id: String, _ step: OrderStep, _ change: (inout Order) -> Void) throws {
        _ = try requireSession()
        guard var o = ordersByID[id] else { throw FieldError.notFound("order \(id)") }
        guard orderSteps(o).contains(step) else {
            if step == .submit, o.status == .draft { throw FieldError.invalidInput("status: an order without lines") }
            throw FieldError.forbidden("status: not from \(o.status)")
        }
        change(&o)
        ordersByID[id] = o
        orderUpdated[id] = clock()
        pending.insert(id)
    }

    public func submitOrder(id: String) async throws {
        try guarded { try moveOrder(id, .submit) { $0.status = .submitted } }
        publish()
    }

    public func cancelOrder(id: String, reason: String) async throws {
        try guarded {
            try moveOrder(id, .cancel) {
                $0.status = .cancelled
                $0.cancelReason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        publish()
    }

    // MARK: - Dispatches

    /// The office dispatches a job to this device's user: it appears as live sync would deliver
    /// it (`docsReceived` and `arrived` of kind `dispatch`). Returns its id.
    @discardableResult
    public func deliverDispatch(_ dispatch: Dispatch? = nil) -> String {
        let id = lock.withLock { () -> String in
            let d = dispatch ?? Self.sampleDispatch(id: newID("d"))
            dispatchesByID[d.id] = d
            return d.id
        }
        events.send(.docsReceived(count: 1))
        events.send(.arrived(kind: "dispatch", docIds: [id]))
        publish()
        return id
    }

    private func dispatchSteps(_ d: Dispatch) -> Set<DispatchStep> {
        guard currentSession?.role == "engineer" else { return [] }
        let s = d.status
        let open = !s.isFinal && s != .assigned
        var steps: Set<DispatchStep> = []
        if s == .assigned { steps.insert(.accept) }
        if s == .accepted { steps.insert(.enRoute) }
        if s == .accepted || s == .enRoute { steps.insert(.checkIn) }
        if open { steps.formUnion([.log, .addPart, .addPhoto, .sign, .unable]) }
        if s == .onSite, d.checkIn != nil, d.signature != nil { steps.insert(.complete) }
        if s == .completed { steps.insert(.survey) }
        return steps
    }

    public func dispatches() async throws -> [DispatchSummary] {
        try guarded {
            _ = try requireSession()
            return dispatchesByID.values
                .sorted { ($0.scheduledAt ?? .max, $0.id) < ($1.scheduledAt ?? .max, $1.id) }
                .map { d in
                    DispatchSummary(id: d.id, ticketType: d.ticketType, priority: d.priority, status: d.status,
                                    customerName: d.site.customerName, address: d.site.address, scheduledAt: d.scheduledAt,
                                    slaDueAt: d.slaDueAt, pending: pending.contains(d.id), updatedAt: d.completedAt ?? d.scheduledAt ?? 0)
                }
        }
    }

    public func dispatch(id: String) async throws -> Dispatch {
        try guarded {
            _ = try requireSession()
            guard var d = dispatchesByID[id] else { throw FieldError.notFound("dispatch \(id)") }
            d.steps = dispatchSteps(d)
            return d
        }
    }

    private func work(_ id: String, _ step: DispatchStep, _ change: (inout Dispatch) -> Void) throws {
        _ = try requireSession()
        guard var d = dispatchesByID[id] else { throw FieldError.notFound("dispatch \(id)") }
        guard dispatchSteps(d).contains(step) else {
            if step == .complete, d.status == .onSite {
                throw FieldError.invalidInput("status: completion needs a check-in and the customer's signature")
            }
            throw FieldError.forbidden("the dispatch is \(d.status)")
        }
        change(&d)
        dispatchesByID[id] = d
        pending.insert(id)
    }

    private func photo(_ bytes: Data, _ contentType: String, _ caption: String) throws -> VisitPhoto {
        guard !bytes.isEmpty else { throw FieldError.invalidInput("photo: empty") }
        guard contentType.hasPrefix("image/") else { throw FieldError.invalidInput("photo: not an image") }
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return VisitPhoto(sha256: sha, contentType: contentType, takenAt: clock(), caption: caption, uploaded: false, localPath: nil)
    }

    public func acceptDispatch(id: String) async throws {
        try guarded { try work(id, .accept) { $0.status = .accepted } }
        publish()
    }

    public func setDispatchEnRoute(id: String) async throws {
        try guarded { try work(id, .enRoute) { $0.status = .enRoute } }
        publish()
    }

    public func checkInDispatch(id: String, fix: GeoFix?) async throws {
        let at = clock()
        try guarded {
            try work(id, .checkIn) {
                $0.status = .onSite
                $0.checkIn = CheckPoint(at: at, lat: fix?.lat, lon: fix?.lon, accuracyM: fix?.accuracyM)
            }
        }
        publish()
    }

    public func logDispatchWork(id: String, text: String) async throws {
        let at = clock()
        try guarded {
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !t.isEmpty else { throw FieldError.invalidInput("work log: required") }
            let entry = WorkLogEntry(id: newID("e"), at: at, text: t)
            try work(id, .log) { $0.workLog.append(entry) }
        }
        publish()
    }

    public func addDispatchPart(id: String, productID: String, quantity: Double, serials: [String]) async throws {
        try guarded {
            let product = productID.trimmingCharacters(in: .whitespaces)
            guard !product.isEmpty else { throw FieldError.invalidInput("product: required") }
            guard quantity > 0 else { throw FieldError.invalidInput("parts: a part needs a product and a quantity") }
            let part = PartUsed(id: newID("e"), productID: product, quantity: quantity,
                                serials: serials.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            try work(id, .addPart) { $0.parts.append(part) }
        }
        publish()
    }

    public func addDispatchPhoto(id: String, bytes: Data, contentType: String, caption: String) async throws -> String {
        let sha = try guarded { () throws -> String in
            let p = try photo(bytes, contentType, caption)
            try work(id, .addPhoto) { d in if !d.photos.contains(where: { $0.sha256 == p.sha256 }) { d.photos.append(p) } }
            return p.sha256
        }
        publish()
        return sha
    }

    public func signDispatch(id: String, png: Data) async throws -> String {
        let sha = try guarded { () throws -> String in
            let p = try photo(png, "image/png", "signature")
            try work(id, .sign) { $0.signature = p }
            return p.sha256
        }
        publish()
        return sha
    }

    public func completeDispatch(id: String) async throws {
        let at = clock()
        try guarded { try work(id, .complete) { $0.status = .completed; $0.completedAt = at } }
        publish()
    }

    public func markDispatchUnable(id: String, reason: String) async throws {
        try guarded {
            let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !r.isEmpty else { throw FieldError.invalidInput("reason: required") }
            try work(id, .unable) { $0.status = .unable; $0.unableReason = r }
        }
        publish()
    }

    public func recordDispatchSurvey(id: String, score: Int, comment: String) async throws {
        let at = clock()
        try guarded {
            guard (1...5).contains(score) else { throw FieldError.invalidInput("survey: score must be 1 to 5") }
            let survey = Survey(score: score, comment: comment.trimmingCharacters(in: .whitespacesAndNewlines), at: at)
            try work(id, .survey) { $0.survey = survey }
        }
        publish()
    }

    // MARK: - Sample data and field assignment

    /// Three products with list prices (minor units).
    public static func sampleProducts() -> [ProductChoice] {
        [
            ProductChoice(id: "p-1", code: "FZ-200", name: "冷柜 Freezer 200 L", unit: "台", listPrice: 3_200_00),
            ProductChoice(id: "p-2", code: "RL-778", name: "压缩机继电器 Compressor relay", unit: "个", listPrice: 85_00),
            ProductChoice(id: "p-3", code: "PA-A4", name: "打印纸 A4 paper", unit: "箱", listPrice: 120_00),
        ]
    }

    /// A repair job at the first sample customer, as the office dispatches it.
    public static func sampleDispatch(id: String, scheduledAt: Int64? = nil) -> Dispatch {
        Dispatch(id: id, ticketID: "t-\(id)", customerID: "c-a", engineerID: "u-1", ticketType: "repair", priority: "high",
                 description: "冷柜不制冷 Freezer not cooling", productSerial: "SN-10037", slaDueAt: nil,
                 site: Site(customerName: "华联超市 Hualian", address: "上海 浦东 世纪大道 100 号", lat: 31.2304, lon: 121.4737,
                            contactName: "王芳 Wang Fang", contactPhone: "13800000001"),
                 scheduledAt: scheduledAt, status: .assigned, checkIn: nil, workLog: [], parts: [], photos: [], signature: nil,
                 completedAt: nil, unableReason: "", survey: nil, steps: [])
    }

    /// A blank company customer in the rep's territory.
    public static func blank(id: String, name: String) -> Customer {
        Customer(id: id, code: "", name: name.trimmingCharacters(in: .whitespaces), kind: .company, tier: "", industry: "", source: "",
                 phones: [], email: "", address: Address(), tags: [], birthday: nil, interests: [], contacts: [], custom: [:],
                 notes: "", territory: "t-sh", owner: "u-1")
    }

    /// Three customers in Shanghai, one with a contact.
    public static func sampleCustomers() -> [Customer] {
        var a = blank(id: "c-a", name: "华联超市 Hualian")
        a.code = "C0001"; a.tier = "A"; a.industry = "retail"; a.phones = ["021-5555-0101"]
        a.address = Address(province: "上海", city: "上海", district: "浦东", street: "世纪大道 100 号")
        a.contacts = [Contact(id: "k-a", name: "王芳 Wang Fang", title: "采购经理", phones: ["13800000001"], primary: true)]
        var b = blank(id: "c-b", name: "东方电子 Dongfang Electronics")
        b.code = "C0002"; b.tier = "B"; b.industry = "electronics"; b.address = Address(city: "上海", district: "徐汇")
        var c = blank(id: "c-c", name: "Harbour Logistics")
        c.code = "C0003"; c.tier = "C"; c.industry = "logistics"; c.email = "info@harbour.example"
        c.address = Address(city: "上海", district: "宝山")
        return [a, b, c]
    }

    private static func list(_ v: String) -> [String] {
        v.split(whereSeparator: { $0 == "," || $0 == "，" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func apply(_ c: inout Customer, _ field: String, _ value: String) throws {
        let t = value.trimmingCharacters(in: .whitespaces)
        switch field {
        case "name": c.name = t
        case "code": c.code = t
        case "tier": c.tier = t
        case "industry": c.industry = t
        case "source": c.source = t
        case "email": c.email = t
        case "phones": c.phones = list(value)
        case "tags": c.tags = list(value)
        case "interests": c.interests = list(value)
        case "notes": c.notes = value
        case "birthday": c.birthday = t.isEmpty ? nil : t
        case "address.province": c.address.province = t
        case "address.city": c.address.city = t
        case "address.district": c.address.district = t
        case "address.street": c.address.street = t
        case "address.zip": c.address.zip = t
        case "territory": c.territory = t.isEmpty ? nil : t
        case "owner": c.owner = t.isEmpty ? nil : t
        default:
            guard field.hasPrefix("custom."), field.count > 7 else { throw FieldError.invalidInput("unknown customer field \"\(field)\"") }
            let key = String(field.dropFirst(7))
            c.custom[key] = t.isEmpty ? nil : t
        }
    }
}
