// The home screen: search, the sync status bar, customers (pending ones marked), notices.
import FieldCRMKit
import SwiftUI

@MainActor
final class CustomerListViewModel: ObservableObject {
    @Published var query = "" { didSet { scheduleSearch() } }
    @Published private(set) var customers: [CustomerSummary] = []
    @Published private(set) var loading = false
    @Published private(set) var endReached = false
    @Published private(set) var syncing = false
    @Published private(set) var error: Error?
    @Published private(set) var sync = SyncState()
    let repo: FieldRepository
    private var searchTask: Task<Void, Never>?
    private var watchers: [Task<Void, Never>] = []
    static let page = 50

    init(repo: FieldRepository) {
        self.repo = repo
        sync = repo.syncState
    }

    deinit { watchers.forEach { $0.cancel() } }

    /// Starts following sync state and events; call from the view's `.task`.
    func start() async {
        guard watchers.isEmpty else { return }
        watchers.append(Task { [weak self, repo] in
            var lastPending: Int64 = -1
            for await s in repo.syncStates() {
                guard let self else { return }
                self.sync = s
                if s.pendingChanges != lastPending { lastPending = s.pendingChanges; await self.reload() }
            }
        })
        watchers.append(Task { [weak self, repo] in
            for await u in repo.updates() {
                switch u {
                case .docsReceived, .revoked, .compensated: await self?.reload()
                default: break
                }
            }
        })
        await reload()
    }

    private func scheduleSearch() {
        searchTask?.cancel()
        searchTask = Task {
            try? await Task.sleep(nanoseconds: 250_000_000)
            guard !Task.isCancelled else { return }
            await reload()
        }
    }

    func reload() async {
        let count = min(max(customers.count, Self.page), 200)
        loading = true
        defer { loading = false }
        do {
            let list = try await repo.customers(query: query, limit: count, offset: 0)
            customers = list
            endReached = list.count < count
            error = nil
        } catch {
            self.error = error
        }
    }

    func loadMore() async {
        guard !loading, !endReached else { return }
        loading = true
        defer { loading = false }
        do {
            let more = try await repo.customers(query: query, limit: Self.page, offset: customers.count)
            customers += more
            endReached = more.count < Self.page
        } catch {
            self.error = error
        }
    }

    func syncNow() async {
        guard !syncing else { return }
        syncing = true
        defer { syncing = false }
        do {
            try await repo.syncNow()
            error = nil
        } catch {
            self.error = error
        }
        await reload()
    }
}

struct CustomerListView: View {
    @StateObject var model: CustomerListViewModel
    let onLogout: () -> Void

    var body: some View {
        List {
            Section {
                if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
                if !model.loading && model.customers.isEmpty {
                    Text(model.query.isEmpty ? L("customers_empty") : L("customers_no_match", model.query))
                }
                ForEach(model.customers) { c in
                    NavigationLink(value: Route.customer(c.id)) { CustomerRow(customer: c) }
                        .onAppear {
                            if c.id == model.customers.last?.id { Task { await model.loadMore() } }
                        }
                }
            } header: {
                SyncStatusBar(state: model.sync).listRowInsets(EdgeInsets())
            }
        }
        .listStyle(.plain)
        .searchable(text: $model.query, prompt: L("customers_search_hint"))
        .refreshable { await model.syncNow() }
        .navigationTitle(L("customers_title"))
        .navigationDestination(for: Route.self) { route in RouteView(route: route, repo: model.repo) }
        .toolbar {
            ToolbarItem(placement: .topBarTrailing) {
                NavigationLink(value: Route.notices) {
                    Image(systemName: model.sync.unseenNotices > 0 ? "bell.badge" : "bell")
                        .accessibilityLabel(L("notices_title"))
                }
            }
            ToolbarItem(placement: .topBarTrailing) {
                Menu {
                    Button(L("action_sync_now")) { Task { await model.syncNow() } }.disabled(model.syncing)
                    Button(L("action_logout"), role: .destructive, action: onLogout)
                } label: {
                    Image(systemName: "ellipsis.circle").accessibilityLabel(L("action_more"))
                }
            }
        }
        .task { await model.start() }
    }
}

private struct CustomerRow: View {
    let customer: CustomerSummary

    var body: some View {
        HStack {
            VStack(alignment: .leading, spacing: 2) {
                Text(customer.name).font(.body)
                let place = [customer.city, customer.district].filter { !$0.isEmpty }.joined(separator: " ")
                let tier = customer.tier.isEmpty ? nil : L("customer_tier_short", customer.tier)
                Text([customer.code, tier ?? "", place].filter { !$0.isEmpty }.joined(separator: " · "))
                    .font(.subheadline).foregroundStyle(.secondary)
                if !customer.contacts.isEmpty {
                    Text(customer.contacts.joined(separator: ", ")).font(.caption).foregroundStyle(.secondary)
                }
            }
            Spacer()
            if customer.pending {
                Image(systemName: "icloud.and.arrow.up").accessibilityLabel(L("pending_not_sent"))
            }
        }
    }
}

/// Every pushed screen.
enum Route: Hashable {
    case customer(String)
    case customerEdit(String)
    case contact(customerID: String, contactID: String?)
    case visit(String)
    case notices
    case dispatch(String)
    case newOrder(customerID: String?)
    case order(String)
}

/// Builds the screen of a route with its view model.
struct RouteView: View {
    let route: Route
    let repo: FieldRepository

    var body: some View {
        switch route {
        case .customer(let id): CustomerView(model: CustomerViewModel(repo: repo, customerID: id))
        case .customerEdit(let id): CustomerEditView(model: CustomerEditViewModel(repo: repo, customerID: id))
        case .contact(let customerID, let contactID):
            ContactEditView(model: ContactEditViewModel(repo: repo, customerID: customerID, contactID: contactID))
        case .visit(let id): VisitView(model: VisitViewModel(repo: repo, visitID: id))
        case .notices: NoticesView(model: NoticesViewModel(repo: repo))
        // The product picker's seam: the device's catalog plugs in here; until then nothing is
        // found and product ids are typed.
        case .dispatch(let id): DispatchView(model: DispatchViewModel(repo: repo, dispatchID: id, catalog: NoProductCatalog()))
        case .newOrder(let customerID): OrderEntryView(model: OrderEntryViewModel(repo: repo, customerID: customerID, catalog: NoProductCatalog()))
        case .order(let id): OrderView(model: OrderViewModel(repo: repo, orderID: id))
        }
    }
}
