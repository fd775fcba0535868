// The app's own models: plain Swift values, independent of the generated bindings, so views,
// view models and the fake never see a uniffi type.
import Foundation

/// The signed-in user on this device.
public struct UserSession: Equatable, Sendable {
    public var serverURL: String
    public var userID: String
    public var username: String
    public var displayName: String
    /// `rep`, `manager`, `engineer`, …
    public var role: String
    public var deviceID: String

    public init(serverURL: String, userID: String, username: String, displayName: String, role: String, deviceID: String) {
        self.serverURL = serverURL
        self.userID = userID
        self.username = username
        self.displayName = displayName
        self.role = role
        self.deviceID = deviceID
    }
}

/// Company or private person.
public enum CustomerKind: String, Sendable { case company, person }

/// One row of the customer list.
public struct CustomerSummary: Identifiable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var code: String
    public var tier: String
    public var industry: String
    public var city: String
    public var district: String
    public var phones: [String]
    public var email: String
    public var contacts: [String]
    /// Local edits the server has not acknowledged yet.
    public var pending: Bool
    /// Last local change, unix ms.
    public var updatedAt: Int64
}

/// A postal address.
public struct Address: Equatable, Sendable {
    public var province = ""
    public var city = ""
    public var district = ""
    public var street = ""
    public var zip = ""
    public var lat: Double?
    public var lon: Double?

    public init(province: String = "", city: String = "", district: String = "", street: String = "", zip: String = "", lat: Double? = nil, lon: Double? = nil) {
        self.province = province
        self.city = city
        self.district = district
        self.street = street
        self.zip = zip
        self.lat = lat
        self.lon = lon
    }

    /// One line, empty parts skipped.
    public var oneLine: String { [province, city, district, street].filter { !$0.isEmpty }.joined(separator: " ") }
}

/// A person at a customer.
public struct Contact: Identifiable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var title = ""
    public var department = ""
    public var phones: [String] = []
    public var email = ""
    public var role = ""
    public var primary = false
    public var notes = ""

    public init(id: String, name: String, title: String = "", department: String = "", phones: [String] = [], email: String = "", role: String = "", primary: Bool = false, notes: String = "") {
        self.id = id
        self.name = name
        self.title = title
        self.department = department
        self.phones = phones
        self.email = email
        self.role = role
        self.primary = primary
        self.notes = notes
    }

    /// The editable part of this contact.
    public var draft: ContactDraft {
        ContactDraft(name: name, title: title, department: department, phones: phones, email: email, role: role, primary: primary, notes: notes)
    }
}

/// Why a draft cannot be saved (views turn these into localized messages).
public enum DraftProblem: Equatable, Sendable { case nameRequired, emailInvalid, phoneInvalid }

/// A contact being added or edited.
public struct ContactDraft: Equatable, Sendable {
    public var name = ""
    public var title = ""
    public var department = ""
    public var phones: [String] = []
    public var email = ""
    public var role = ""
    public var primary = false
    public var notes = ""

    public init(name: String = "", title: String = "", department: String = "", phones: [String] = [], email: String = "", role: String = "", primary: Bool = false, notes: String = "") {
        self.name = name
        self.title = title
        self.department = department
        self.phones = phones
        self.email = email
        self.role = role
        self.primary = primary
        self.notes = notes
    }

    /// What is wrong with this draft, or nil when it can be saved.
    public var problem: DraftProblem? {
        let trimmedEmail = email.trimmingCharacters(in: .whitespaces)
        if name.trimmingCharacters(in: .whitespaces).isEmpty { return .nameRequired }
        if !trimmedEmail.isEmpty, trimmedEmail.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) == nil {
            return .emailInvalid
        }
        let bad = phones.contains { p in
            let t = p.trimmingCharacters(in: .whitespaces)
            return !t.isEmpty && t.range(of: #"^[+0-9][0-9 ()-]{2,24}$"#, options: .regularExpression) == nil
        }
        return bad ? .phoneInvalid : nil
    }
}

/// A customer in full, for its card.
public struct Customer: Identifiable, Equatable, Sendable {
    public var id: String
    public var code: String
    public var name: String
    public var kind: CustomerKind
    public var tier: String
    public var industry: String
    public var source: String
    public var phones: [String]
    public var email: String
    public var address: Address
    public var tags: [String]
    public var birthday: String?
    public var interests: [String]
    public var contacts: [Contact]
    public var custom: [String: String]
    public var notes: String
    /// Server-owned: never editable on the device.
    public var territory: String?
    /// Server-owned: never editable on the device.
    public var owner: String?

    /// The fields the edit form offers, in order (the facade's field names).
    public static let editableFields = [
        "name", "code", "tier", "industry", "source", "phones", "email",
        "address.province", "address.city", "address.district", "address.street", "address.zip",
        "tags", "notes",
    ]

    /// The text form of `field` as the edit form shows it.
    public func text(of field: String) -> String {
        switch field {
        case "name": return name
        case "code": return code
        case "kind": return kind.rawValue
        case "tier": return tier
        case "industry": return industry
        case "source": return source
        case "email": return email
        case "phones": return phones.joined(separator: ", ")
        case "tags": return tags.joined(separator: ", ")
        case "interests": return interests.joined(separator: ", ")
        case "notes": return notes
        case "birthday": return birthday ?? ""
        case "address.province": return address.province
        case "address.city": return address.city
        case "address.district": return address.district
        case "address.street": return address.street
        case "address.zip": return address.zip
        case "territory": return territory ?? ""
        case "owner": return owner ?? ""
        default:
            guard field.hasPrefix("custom.") else { return "" }
            return custom[String(field.dropFirst("custom.".count))] ?? ""
        }
    }
}

/// Where and when a check-in or check-out happened.
public struct CheckPoint: Equatable, Sendable {
    public var at: Int64
    public var lat: Double?
    public var lon: Double?
    public var accuracyM: Double?

    public init(at: Int64, lat: Double?, lon: Double?, accuracyM: Double?) {
        self.at = at
        self.lat = lat
        self.lon = lon
        self.accuracyM = accuracyM
    }
}

/// A photo of a visit or a dispatch (also a dispatch's signature image).
public struct VisitPhoto: Identifiable, Equatable, Sendable {
    public var id: String { sha256 }
    /// Content hash (hex), the photo's identity.
    public var sha256: String
    public var contentType: String
    public var takenAt: Int64
    public var caption: String
    /// Whether the server has the bytes yet.
    public var uploaded: Bool
    /// The file on this device, if kept locally.
    public var localPath: String?
}

/// One row of a visit list.
public struct VisitSummary: Identifiable, Equatable, Sendable {
    public var id: String
    public var customerID: String
    public var customerName: String
    public var checkInAt: Int64?
    public var checkOutAt: Int64?
    public var purpose: String
    public var outcome: String
    public var photoCount: Int
    public var pending: Bool

    /// Checked in and not yet out.
    public var isOpen: Bool { checkInAt != nil && checkOutAt == nil }
}

/// A visit in full.
public struct Visit: Identifiable, Equatable, Sendable {
    public var id: String
    public var customerID: String
    public var repID: String?
    public var checkIn: CheckPoint?
    public var checkOut: CheckPoint?
    public var purpose: String
    public var outcome: String
    public var notes: String
    public var nextStep: String
    public var photos: [VisitPhoto]

    /// Checked in and not yet out: notes, photos and check-out are still possible.
    public var isOpen: Bool { checkIn != nil && checkOut == nil }
}

/// A position fix from the phone.
public struct GeoFix: Equatable, Sendable {
    public var lat: Double
    public var lon: Double
    public var accuracyM: Double?

    public init(lat: Double, lon: Double, accuracyM: Double?) {
        self.lat = lat
        self.lon = lon
        self.accuracyM = accuracyM
    }
}

// MARK: - Orders

/// Where an order is in its life.
public enum OrderStatus: String, CaseIterable, Sendable {
    case draft, submitted, confirmed, partiallyShipped, shipped, completed, cancelled
}

/// What the signed-in user may do with an order now (drives the order screen's buttons).
public enum OrderStep: String, CaseIterable, Sendable { case submit, cancel, editLines }

/// One row of an order list. Money is in minor units (fen).
public struct OrderSummary: Identifiable, Equatable, Sendable {
    public var id: String
    public var customerID: String
    public var customerName: String
    /// `SO-2026-000123`, once the server accepted the order; nil before its first sync.
    public var number: String?
    public var status: OrderStatus
    /// ISO 4217; empty before the server priced the order.
    public var currency: String
    /// The server's total (0 before pricing), minor units.
    public var total: Int64
    public var lineCount: Int
    public var pending: Bool
    public var updatedAt: Int64
}

/// Why an order line cannot be added (the app turns these into localized messages).
public enum OrderLineProblem: Sendable { case productRequired, quantityInvalid, discountInvalid, dateInvalid }

/// A line being entered on a new order.
public struct OrderLineDraft: Equatable, Sendable {
    /// The product's id, as the product picker (``ProductCatalog``) returns it.
    public var productID: String
    public var quantity: Double
    /// Discount asked for, basis points (1 % = 100); the server caps it at the role's limit.
    public var discountBp: Int64
    /// `YYYY-MM-DD`.
    public var requestedDelivery: String?
    public var notes: String
    /// What the picker showed for the product (not sent; the server fills the real name).
    public var label: String

    public init(productID: String, quantity: Double, discountBp: Int64 = 0, requestedDelivery: String? = nil, notes: String = "", label: String = "") {
        self.productID = productID
        self.quantity = quantity
        self.discountBp = discountBp
        self.requestedDelivery = requestedDelivery
        self.notes = notes
        self.label = label
    }

    /// What is wrong with this line, or nil when it can be added.
    public var problem: OrderLineProblem? {
        if productID.trimmingCharacters(in: .whitespaces).isEmpty { return .productRequired }
        if !(quantity > 0 && quantity <= 1e9) || abs(quantity * 1000 - (quantity * 1000).rounded()) > 1e-6 { return .quantityInvalid }
        if !(0...10_000).contains(discountBp) { return .discountInvalid }
        if let d = requestedDelivery?.trimmingCharacters(in: .whitespaces), !d.isEmpty,
           d.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
            return .dateInvalid
        }
        return nil
    }
}

/// A line of an order, with the server's prices once priced.
public struct OrderLine: Identifiable, Equatable, Sendable {
    public var id: String
    public var productID: String?
    /// Server: code, name and unit at pricing time (empty before).
    public var productCode: String
    public var productName: String
    public var unit: String
    public var quantity: Double
    public var discountBp: Int64
    public var requestedDelivery: String?
    public var notes: String
    /// Server: minor units.
    public var unitPrice: Int64
    /// Server: quantity × unit price − discount, minor units.
    public var lineTotal: Int64
    /// Server: why the line could not be priced; empty when fine.
    public var problem: String
    public var shippedQuantity: Double
    public var lots: [String]
}

/// An order in full.
public struct Order: Identifiable, Equatable, Sendable {
    public var id: String
    public var customerID: String
    public var number: String?
    public var status: OrderStatus
    public var repID: String?
    public var lines: [OrderLine]
    public var notes: String
    public var cancelReason: String
    public var currency: String
    public var subtotal: Int64
    public var discountTotal: Int64
    public var total: Int64
    /// What the signed-in user may do now.
    public var steps: Set<OrderStep>
}

/// A product the order entry and the parts form can pick.
public struct ProductChoice: Identifiable, Equatable, Sendable {
    public var id: String
    public var code: String
    public var name: String
    public var unit: String
    /// List price in minor units, when the catalog on the device knows it (an estimate only).
    public var listPrice: Int64?

    public init(id: String, code: String, name: String, unit: String, listPrice: Int64? = nil) {
        self.id = id
        self.code = code
        self.name = name
        self.unit = unit
        self.listPrice = listPrice
    }
}

/// Where order entry and the parts form find products: the seam for the product picker. The
/// device's copy of the catalog is not wired into the kit yet; until it is, ``NoProductCatalog``
/// finds nothing and the screens take a product id typed or scanned by the user.
public protocol ProductCatalog: Sendable {
    /// Products matching `query` (code or name), at most `limit`.
    func search(_ query: String, limit: Int) async -> [ProductChoice]
}

/// No catalog on the device: nothing is found.
public struct NoProductCatalog: ProductCatalog {
    public init() {}
    public func search(_ query: String, limit: Int) async -> [ProductChoice] { [] }
}

// MARK: - Dispatches

/// Where a dispatch is in its life.
public enum DispatchStatus: String, CaseIterable, Sendable {
    case assigned, accepted, enRoute, onSite, completed, unable, cancelled

    /// The engineer's work on it is over.
    public var isFinal: Bool { self == .completed || self == .unable || self == .cancelled }
}

/// One step of an engineer's work on a dispatch (one repository method each).
public enum DispatchStep: String, CaseIterable, Sendable {
    case accept, enRoute, checkIn, log, addPart, addPhoto, sign, complete, unable, survey
}

/// One row of the dispatch list.
public struct DispatchSummary: Identifiable, Equatable, Sendable {
    public var id: String
    /// `repair`, `installation`, `maintenance`, `complaint`.
    public var ticketType: String
    /// `low`, `normal`, `high`, `urgent`.
    public var priority: String
    public var status: DispatchStatus
    public var customerName: String
    public var address: String
    public var scheduledAt: Int64?
    public var slaDueAt: Int64?
    public var pending: Bool
    public var updatedAt: Int64
}

/// Where and whom the engineer goes to (read-only).
public struct Site: Equatable, Sendable {
    public var customerName: String
    public var address: String
    public var lat: Double?
    public var lon: Double?
    public var contactName: String
    public var contactPhone: String
}

/// One entry of a dispatch's work log.
public struct WorkLogEntry: Identifiable, Equatable, Sendable {
    public var id: String
    public var at: Int64
    public var text: String
}

/// A part used on a dispatch.
public struct PartUsed: Identifiable, Equatable, Sendable {
    public var id: String
    public var productID: String?
    public var quantity: Double
    public var serials: [String]
}

/// The customer's satisfaction after completion.
public struct Survey: Equatable, Sendable {
    public var score: Int
    public var comment: String
    public var at: Int64
}

/// A dispatch in full, for the work screen.
public struct Dispatch: Identifiable, Equatable, Sendable {
    public var id: String
    public var ticketID: String?
    public var customerID: String?
    public var engineerID: String?
    public var ticketType: String
    public var priority: String
    public var description: String
    public var productSerial: String
    public var slaDueAt: Int64?
    public var site: Site
    public var scheduledAt: Int64?
    public var status: DispatchStatus
    public var checkIn: CheckPoint?
    public var workLog: [WorkLogEntry]
    public var parts: [PartUsed]
    public var photos: [VisitPhoto]
    public var signature: VisitPhoto?
    public var completedAt: Int64?
    public var unableReason: String
    public var survey: Survey?
    /// The steps the signed-in user may take now: each button is enabled by its step.
    public var steps: Set<DispatchStep>
}

/// What a notice is about.
public enum NoticeKind: Sendable { case compensated, rejected, revoked, error }

/// Something the user must be told (a compensated or rejected edit, a revoked record, …).
public struct Notice: Identifiable, Equatable, Sendable {
    public var id: Int64
    public var at: Int64
    public var kind: NoticeKind
    public var docID: String?
    public var message: String
    public var seen: Bool
}

/// The connection of live sync.
public enum Connection: Sendable { case offline, connecting, connected }

/// Everything the sync status bar shows.
public struct SyncState: Equatable, Sendable {
    public var signedIn = false
    public var connection: Connection = .offline
    /// Records with local changes the server has not acknowledged.
    public var pendingChanges: Int64 = 0
    /// Photos waiting to be uploaded.
    public var pendingUploads: Int64 = 0
    /// End of the last complete catch-up, unix ms.
    public var lastSyncAt: Int64?
    public var unseenNotices: Int64 = 0
    public var quarantined: Int64 = 0
    /// Why the last connection attempt failed.
    public var lastError: String?

    public init() {}
}

/// What one explicit sync did.
public struct SyncSummary: Equatable, Sendable {
    public var docsReceived: Int64
    public var pushed: Int64
    public var accepted: Int64
    public var compensated: Int64
    public var rejected: Int64
    public var revoked: Int64
}

/// One event of live sync.
public enum SyncUpdate: Equatable, Sendable {
    case connected
    case disconnected(error: String?)
    case docsReceived(count: Int64)
    /// The server restored fields the user may not write.
    case compensated(docID: String, paths: [String])
    /// The server refused the document; its changes are quarantined.
    case rejected(docID: String, reason: String)
    case revoked(docIDs: [String])
    /// Records new to this device (`kind`: customer, visit, order, dispatch), e.g. a new dispatch.
    case arrived(kind: String, docIds: [String])
    case caughtUp(cursor: Int64)
    case uploadsFinished(uploaded: Int64, failed: Int64)
}

/// The one error of the repository; every case is something the app acts on.
public enum FieldError: Error, Equatable, Sendable {
    /// The server cannot be reached; local work is kept.
    case offline(String)
    /// Not logged in, wrong password, or the session ended.
    case unauthorized(String)
    /// The user may not do this.
    case forbidden(String)
    /// The record is not on this device (any more).
    case notFound(String)
    /// Bad input: the reason names the field.
    case invalidInput(String)
    /// Anything else.
    case internalError(String)
}

extension Set where Element == String {
    /// Whether `field` (e.g. `address.city`) is covered by this writable set of top-level names.
    public func allows(_ field: String) -> Bool {
        contains(field) || contains(String(field.split(separator: ".").first ?? ""))
    }
}
