// The customer edit form (read-only fields from writableCustomerFields) and the contact form.
import FieldCRMKit
import SwiftUI

/// One row of the customer form.
struct FieldRow: Identifiable, Equatable {
    var id: String { field }
    let field: String
    var value: String
    let original: String
    let writable: Bool
    var changed: Bool { value != original }
}

@MainActor
final class CustomerEditViewModel: ObservableObject {
    @Published var rows: [FieldRow] = []
    /// Server-owned values shown for information (territory, owner).
    @Published private(set) var serverOwned: [(String, String)] = []
    @Published private(set) var loading = true
    @Published private(set) var saving = false
    @Published private(set) var saved = false
    @Published private(set) var error: Error?
    private let repo: FieldRepository
    private let customerID: String

    init(repo: FieldRepository, customerID: String) {
        self.repo = repo
        self.customerID = customerID
    }

    func load() async {
        do {
            let c = try await repo.customer(id: customerID)
            let writable = try await repo.writableCustomerFields()
            rows = Customer.editableFields.map { FieldRow(field: $0, value: c.text(of: $0), original: c.text(of: $0), writable: writable.allows($0)) }
            serverOwned = [("territory", c.territory ?? ""), ("owner", c.owner ?? "")]
        } catch {
            self.error = error
        }
        loading = false
    }

    var canSave: Bool {
        !saving && rows.contains { $0.changed && $0.writable } && !(rows.first { $0.field == "name" }?.value.trimmingCharacters(in: .whitespaces).isEmpty ?? true)
    }

    /// Saves the changed writable fields in one change.
    func save() async {
        guard canSave else { return }
        saving = true
        defer { saving = false }
        let changes = Dictionary(uniqueKeysWithValues: rows.filter { $0.changed && $0.writable }.map { ($0.field, $0.value) })
        do {
            try await repo.updateCustomer(id: customerID, fields: changes)
            saved = true
        } catch {
            self.error = error
        }
    }
}

/// The localized label of a customer field (custom fields show their key).
func fieldLabel(_ field: String) -> String {
    switch field {
    case "address.province": return L("field_province")
    case "address.city": return L("field_city")
    case "address.district": return L("field_district")
    case "address.street": return L("field_street")
    case "address.zip": return L("field_zip")
    case "name", "code", "tier", "industry", "source", "phones", "email", "tags", "notes", "territory", "owner":
        return L("field_\(field)")
    default: return field.replacingOccurrences(of: "custom.", with: "")
    }
}

struct CustomerEditView: View {
    @StateObject var model: CustomerEditViewModel
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        Form {
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            if model.rows.contains(where: { !$0.writable }) {
                Text(L("customer_read_only_note")).font(.footnote).foregroundStyle(.secondary)
            }
            ForEach($model.rows) { $row in
                LabeledContent {
                    HStack {
                        TextField(fieldLabel(row.field), text: $row.value, axis: row.field == "notes" ? .vertical : .horizontal)
                            .disabled(!row.writable)
                            .foregroundStyle(row.writable ? .primary : .secondary)
                            .accessibilityIdentifier("field-\(row.field)")
                        if !row.writable { Image(systemName: "lock.fill").accessibilityLabel(L("field_read_only")) }
                    }
                } label: {
                    Text(fieldLabel(row.field))
                }
            }
            Section {
                ForEach(model.serverOwned, id: \.0) { field, value in
                    LabeledContent(fieldLabel(field)) {
                        HStack { Text(value).foregroundStyle(.secondary); Image(systemName: "lock.fill").accessibilityLabel(L("field_read_only")) }
                    }
                }
            }
        }
        .navigationTitle(L("customer_edit_title"))
        .toolbar {
            ToolbarItem(placement: .confirmationAction) {
                Button(L("action_save")) { Task { await model.save() } }.disabled(!model.canSave)
            }
        }
        .task { await model.load() }
        .onChange(of: model.saved) { if $0 { dismiss() } }
    }
}

@MainActor
final class ContactEditViewModel: ObservableObject {
    @Published var draft = ContactDraft()
    /// Phones as one comma-separated text.
    @Published var phonesText = ""
    @Published private(set) var writable = true
    @Published private(set) var saving = false
    @Published private(set) var saved = false
    @Published private(set) var problem: DraftProblem?
    @Published private(set) var error: Error?
    private let repo: FieldRepository
    private let customerID: String
    let contactID: String?

    init(repo: FieldRepository, customerID: String, contactID: String?) {
        self.repo = repo
        self.customerID = customerID
        self.contactID = contactID
    }

    func load() async {
        do {
            writable = try await repo.writableCustomerFields().allows("contacts")
            if let contactID {
                guard let k = try await repo.customer(id: customerID).contacts.first(where: { $0.id == contactID }) else {
                    throw FieldError.notFound("contact \(contactID)")
                }
                draft = k.draft
                phonesText = k.phones.joined(separator: ", ")
            }
        } catch {
            self.error = error
        }
    }

    /// Validates and saves.
    func save() async {
        guard writable, !saving else { return }
        var d = draft
        d.phones = phonesText.split(whereSeparator: { ",，;".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let p = d.problem { problem = p; return }
        problem = nil
        saving = true
        defer { saving = false }
        do {
            if let contactID {
                try await repo.updateContact(customerID: customerID, contactID: contactID, contact: d)
            } else {
                _ = try await repo.addContact(customerID: customerID, contact: d)
            }
            saved = true
        } catch {
            self.error = error
        }
    }
}

struct ContactEditView: View {
    @StateObject var model: ContactEditViewModel
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        Form {
            if !model.writable { Text(L("contact_read_only")).font(.footnote) }
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            if let problem = model.problem { Text(problemText(problem)).foregroundStyle(.red) }
            Section {
                TextField(L("contact_name"), text: $model.draft.name)
                TextField(L("contact_title"), text: $model.draft.title)
                TextField(L("contact_department"), text: $model.draft.department)
                TextField(L("field_phones"), text: $model.phonesText, prompt: Text(L("field_list_hint"))).keyboardType(.phonePad)
                TextField(L("field_email"), text: $model.draft.email)
                    .keyboardType(.emailAddress).textInputAutocapitalization(.never).autocorrectionDisabled()
                TextField(L("contact_role"), text: $model.draft.role)
                Toggle(L("contact_primary"), isOn: $model.draft.primary)
                TextField(L("field_notes"), text: $model.draft.notes, axis: .vertical).lineLimit(3...8)
            }
            .disabled(!model.writable || model.saving)
        }
        .navigationTitle(L(model.contactID == nil ? "contact_add" : "contact_edit"))
        .toolbar {
            ToolbarItem(placement: .confirmationAction) {
                Button(L("action_save")) { Task { await model.save() } }.disabled(!model.writable || model.saving)
            }
        }
        .task { await model.load() }
        .onChange(of: model.saved) { if $0 { dismiss() } }
    }
}
