// The customer card: details, contacts, visits, orders; edit, add contact, check in, new order.
import FieldCRMKit
import SwiftUI

@MainActor
final class CustomerViewModel: ObservableObject {
    @Published private(set) var customer: Customer?
    @Published private(set) var visits: [VisitSummary] = []
    @Published private(set) var orders: [OrderSummary] = []
    @Published private(set) var loading = true
    @Published private(set) var checkingIn = false
    /// Left the user's scope (revoked) or not on this device.
    @Published private(set) var gone = false
    @Published private(set) var error: Error?
    /// Set after a check-in: the visit to open.
    @Published var openedVisit: String?
    let repo: FieldRepository
    let customerID: String
    private var watcher: Task<Void, Never>?

    init(repo: FieldRepository, customerID: String) {
        self.repo = repo
        self.customerID = customerID
    }

    deinit { watcher?.cancel() }

    /// The visit still open at this customer, if any.
    var openVisit: VisitSummary? { visits.first { $0.isOpen } }

    func start() async {
        if watcher == nil {
            watcher = Task { [weak self, repo, customerID] in
                for await u in repo.updates() {
                    switch u {
                    case .revoked(let ids) where ids.contains(customerID): self?.gone = true
                    case .docsReceived, .compensated, .rejected: await self?.load()
                    default: break
                    }
                }
            }
        }
        await load()
    }

    func load() async {
        do {
            customer = try await repo.customer(id: customerID)
            visits = try await repo.visits(customerID: customerID, limit: 50, offset: 0)
            orders = try await repo.orders(customerID: customerID)
            error = nil
        } catch FieldError.notFound {
            gone = true
        } catch {
            self.error = error
        }
        loading = false
    }

    /// Checks in now (with a position when there is one) and opens the visit.
    func checkIn(locator: Locator) async {
        if let open = openVisit { openedVisit = open.id; return }
        guard !checkingIn else { return }
        checkingIn = true
        defer { checkingIn = false }
        let fix = await locator.fix()
        do {
            openedVisit = try await repo.checkIn(customerID: customerID, fix: fix)
            await load()
        } catch {
            self.error = error
        }
    }

    func removeContact(_ id: String) async {
        do {
            try await repo.removeContact(customerID: customerID, contactID: id)
            await load()
        } catch {
            self.error = error
        }
    }
}

struct CustomerView: View {
    @StateObject var model: CustomerViewModel
    var locator: Locator = DeviceLocator()
    @State private var tab = 0
    @State private var confirmRemove: Contact?

    var body: some View {
        List {
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            if model.gone {
                Text(L("customer_gone"))
            } else if let c = model.customer {
                Picker("", selection: $tab) {
                    Text(L("tab_details")).tag(0)
                    Text(L("tab_contacts", c.contacts.count)).tag(1)
                    Text(L("tab_visits")).tag(2)
                    Text(L("tab_orders")).tag(3)
                }
                .pickerStyle(.segmented)
                switch tab {
                case 0: details(c)
                case 1: contacts(c)
                case 2: visits
                default: orders(c)
                }
            } else if model.loading {
                ProgressView()
            }
        }
        .navigationTitle(model.customer?.name ?? L("customer_title"))
        .toolbar {
            if model.customer != nil {
                ToolbarItem(placement: .topBarTrailing) {
                    NavigationLink(L("action_edit"), value: Route.customerEdit(model.customerID))
                }
                ToolbarItem(placement: .bottomBar) {
                    Button {
                        Task { await model.checkIn(locator: locator) }
                    } label: {
                        if model.checkingIn {
                            ProgressView(L("visit_locating"))
                        } else {
                            Label(L(model.openVisit == nil ? "visit_check_in" : "visit_continue"), systemImage: "mappin.and.ellipse")
                        }
                    }
                    .disabled(model.checkingIn)
                }
            }
        }
        .navigationDestination(isPresented: Binding(get: { model.openedVisit != nil }, set: { if !$0 { model.openedVisit = nil } })) {
            if let id = model.openedVisit { VisitView(model: VisitViewModel(repo: model.repo, visitID: id)) }
        }
        .confirmationDialog(L("contact_remove_confirm"), isPresented: Binding(get: { confirmRemove != nil }, set: { if !$0 { confirmRemove = nil } }), titleVisibility: .visible) {
            if let k = confirmRemove {
                Button(L("contact_remove", k.name), role: .destructive) { Task { await model.removeContact(k.id) } }
            }
        }
        .task { await model.start() }
    }

    @ViewBuilder private func details(_ c: Customer) -> some View {
        field(L("field_code"), c.code)
        field(L("field_tier"), c.tier)
        field(L("field_industry"), c.industry)
        field(L("field_source"), c.source)
        field(L("field_phones"), c.phones.joined(separator: ", "))
        field(L("field_email"), c.email)
        field(L("field_address"), c.address.oneLine)
        field(L("field_tags"), c.tags.joined(separator: ", "))
        ForEach(c.custom.keys.sorted(), id: \.self) { k in field(k, c.custom[k] ?? "") }
        field(L("field_notes"), c.notes)
    }

    @ViewBuilder private func field(_ label: String, _ value: String) -> some View {
        if !value.isEmpty {
            VStack(alignment: .leading, spacing: 2) {
                Text(label).font(.caption).foregroundStyle(.secondary)
                Text(value)
            }
        }
    }

    @ViewBuilder private func contacts(_ c: Customer) -> some View {
        NavigationLink(value: Route.contact(customerID: c.id, contactID: nil)) {
            Label(L("contact_add"), systemImage: "person.badge.plus")
        }
        ForEach(c.contacts) { k in
            NavigationLink(value: Route.contact(customerID: c.id, contactID: k.id)) {
                HStack {
                    if k.primary { Image(systemName: "star.fill").accessibilityLabel(L("contact_primary")) }
                    VStack(alignment: .leading) {
                        Text(k.name)
                        Text([k.title, k.department, k.phones.joined(separator: ", "), k.email].filter { !$0.isEmpty }.joined(separator: " · "))
                            .font(.caption).foregroundStyle(.secondary)
                    }
                }
            }
            .swipeActions {
                Button(L("action_remove"), role: .destructive) { confirmRemove = k }
            }
        }
    }

    @ViewBuilder private var visits: some View {
        if model.visits.isEmpty { Text(L("visits_empty")) }
        ForEach(model.visits) { v in
            NavigationLink(value: Route.visit(v.id)) {
                VStack(alignment: .leading) {
                    Text(v.checkInAt.map(formatDateTime) ?? L("visit_no_check_in"))
                    let status = v.isOpen ? L("visit_open") : (v.outcome.isEmpty ? L("visit_done") : v.outcome)
                    let photos = v.photoCount > 0 ? L("visit_photo_count", v.photoCount) : ""
                    let pending = v.pending ? L("pending_not_sent") : ""
                    Text([v.purpose, status, photos, pending].filter { !$0.isEmpty }.joined(separator: " · "))
                        .font(.caption).foregroundStyle(.secondary)
                }
            }
        }
    }

    @ViewBuilder private func orders(_ c: Customer) -> some View {
        NavigationLink(value: Route.newOrder(customerID: c.id)) {
            Label(L("order_new_title"), systemImage: "cart.badge.plus")
        }
        .accessibilityIdentifier("customer-new-order")
        if model.orders.isEmpty { Text(L("orders_empty")) }
        ForEach(model.orders) { o in
            NavigationLink(value: Route.order(o.id)) {
                VStack(alignment: .leading) {
                    Text(o.number ?? L("order_no_number"))
                    let total = o.currency.isEmpty ? "" : formatMoney(o.total, currency: o.currency)
                    let pending = o.pending ? L("pending_not_sent") : ""
                    Text([statusText(o.status), L("order_lines", o.lineCount), total, pending].filter { !$0.isEmpty }.joined(separator: " · "))
                        .font(.caption).foregroundStyle(.secondary)
                }
            }
        }
    }
}
