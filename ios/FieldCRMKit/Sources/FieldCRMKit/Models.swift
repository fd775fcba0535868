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

/// A photo of a visit.
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
