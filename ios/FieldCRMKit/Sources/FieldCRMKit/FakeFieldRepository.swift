// An in-memory FieldRepository for tests and SwiftUI previews. It behaves like the real one
// where the app can tell: local writes are pending until syncNow, fields outside the writable set
// come back compensated on sync (with a notice and a SyncUpdate), and the next call can be made
// to fail with any FieldError.
import CryptoKit
import Foundation

/// An in-memory ``FieldRepository``; thread-safe (one lock). Ids are `c-N`, `k-N`, `v-N`.
public final class FakeFieldRepository: FieldRepository, @unchecked Sendable {
    private let lock = NSLock()
    private var customersByID: [String: Customer]
    private var order: [String]
    private var synced: [String: Customer]
    private var visitsByID: [String: Visit] = [:]
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

    public init(customers: [Customer] = FakeFieldRepository.sampleCustomers(), password: String = "demo",
                writable: Set<String> = FakeFieldRepository.repWritable,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        customersByID = Dictionary(uniqueKeysWithValues: customers.map { ($0.id, $0) })
        order = customers.map(\.id)
        synced = customersByID
        self.password = password
        self.writable = writable
        self.clock = clock
    }

    /// Signs in without the login screen.
    public func signIn(username: String = "rep.sh") {
        lock.withLock { currentSession = UserSession(serverURL: "http://crm.example.com", userID: "u-1", username: username, displayName: username, role: "rep", deviceID: "d-1") }
        publish()
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
             Int64(visitsByID.values.reduce(0) { $0 + $1.photos.filter { !$0.uploaded }.count }),
             Int64(noticeList.filter { !$0.seen }.count))
        }
        state.update { s in
            s.signedIn = signedIn
            s.pendingChanges = p
            s.pendingUploads = u
            s.unseenNotices = n
        }
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
            pending.removeAll()
            for (id, v) in visitsByID {
                var v = v
                v.photos = v.photos.map { var p = $0; p.uploaded = true; return p }
                visitsByID[id] = v
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

    // MARK: - Sample data and field assignment

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
