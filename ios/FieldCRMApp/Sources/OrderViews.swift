// Orders on the rep's phone: order entry (customer → lines → save as a draft or submit, offline)
// and the order screen (number once the server gave one, lines with the server's prices, totals,
// submit / cancel enabled by the order's steps).
import FieldCRMKit
import SwiftUI

// MARK: - Order entry

/// The line being entered, as typed.
struct LineForm: Equatable {
    var productQuery = ""
    var productID = ""
    /// What the picker showed for the chosen product; empty when the id was typed.
    var productLabel = ""
    var quantity = "1"
    /// Percent, as typed ("5", "7.5").
    var discountPercent = ""
    /// `YYYY-MM-DD`.
    var delivery = ""

    /// The draft line, or why it cannot be one.
    func draft() -> Result<OrderLineDraft, LineFormError> {
        guard let qty = Double(quantity.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")) else {
            return .failure(LineFormError(problem: .quantityInvalid))
        }
        var bp: Int64 = 0
        let pct = discountPercent.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
        if !pct.isEmpty {
            guard let d = Decimal(string: pct, locale: Locale(identifier: "en_US_POSIX")) else {
                return .failure(LineFormError(problem: .discountInvalid))
            }
            var scaled = d * 100
            var rounded = Decimal()
            NSDecimalRound(&rounded, &scaled, 0, .plain)
            bp = NSDecimalNumber(decimal: rounded).int64Value
        }
        let trimmedID = productID.trimmingCharacters(in: .whitespaces)
        let delivery = delivery.trimmingCharacters(in: .whitespaces)
        let line = OrderLineDraft(productID: trimmedID, quantity: qty, discountBp: bp,
                                  requestedDelivery: delivery.isEmpty ? nil : delivery,
                                  label: productLabel.isEmpty ? trimmedID : productLabel)
        if let problem = line.problem { return .failure(LineFormError(problem: problem)) }
        return .success(line)
    }
}

/// Why a typed line cannot be added.
struct LineFormError: Error, Equatable {
    let problem: OrderLineProblem
}

@MainActor
final class OrderEntryViewModel: ObservableObject {
    @Published private(set) var customerID: String?
    @Published private(set) var customerName = ""
    /// Given from the customer's card: not changeable here.
    let customerFixed: Bool
    @Published var customerQuery = "" { didSet { Task { await searchCustomers() } } }
    @Published private(set) var customerResults: [CustomerSummary] = []
    @Published private(set) var lines: [OrderLineDraft] = []
    @Published var form = LineForm()
    @Published private(set) var productResults: [ProductChoice] = []
    @Published private(set) var lineProblem: OrderLineProblem?
    @Published var notes = ""
    @Published private(set) var saving = false
    @Published private(set) var error: Error?
    /// Set once saved: the new order's id.
    @Published private(set) var savedOrderID: String?
    let repo: FieldRepository
    private let catalog: ProductCatalog

    init(repo: FieldRepository, customerID: String?, catalog: ProductCatalog = NoProductCatalog()) {
        self.repo = repo
        self.customerID = customerID
        self.customerFixed = customerID != nil
        self.catalog = catalog
    }

    var canSave: Bool { customerID != nil && !lines.isEmpty && !saving && savedOrderID == nil }

    func start() async {
        if let customerID {
            customerName = (try? await repo.customer(id: customerID).name) ?? ""
        } else {
            await searchCustomers()
        }
    }

    func searchCustomers() async {
        do {
            customerResults = try await repo.customers(query: customerQuery, limit: 30, offset: 0)
        } catch {
            self.error = error
        }
    }

    func pick(_ c: CustomerSummary) {
        customerID = c.id
        customerName = c.name
    }

    func changeCustomer() {
        guard !customerFixed else { return }
        customerID = nil
        customerName = ""
    }

    func searchProducts() async {
        let q = form.productQuery.trimmingCharacters(in: .whitespaces)
        productResults = q.isEmpty ? [] : await catalog.search(q, limit: 20)
    }

    func pick(_ p: ProductChoice) {
        form.productID = p.id
        form.productLabel = "\(p.code) \(p.name)"
        form.productQuery = ""
        productResults = []
    }

    /// Adds the form's line, or shows why it cannot be added.
    func addLine() {
        switch form.draft() {
        case .success(let line):
            lines.append(line)
            form = LineForm()
            lineProblem = nil
        case .failure(let e):
            lineProblem = e.problem
        }
    }

    func removeLines(at offsets: IndexSet) { lines.remove(atOffsets: offsets) }

    /// Saves the draft (committed locally); with `submit`, sends it to the office too.
    func save(submit: Bool) async {
        guard let customerID, canSave else { return }
        saving = true
        defer { saving = false }
        error = nil
        var id: String?
        do {
            id = try await repo.createOrder(customerID: customerID, lines: lines, notes: notes)
            if submit, let id { try await repo.submitOrder(id: id) }
        } catch {
            // A draft that was saved but not submitted is kept: the order screen submits it.
            self.error = error
        }
        savedOrderID = id
    }
}

struct OrderEntryView: View {
    @StateObject var model: OrderEntryViewModel

    var body: some View {
        Group {
            if let id = model.savedOrderID, model.error == nil {
                OrderView(model: OrderViewModel(repo: model.repo, orderID: id))
            } else if model.customerID == nil {
                customerStep
            } else {
                linesStep
            }
        }
        .task { await model.start() }
    }

    private var customerStep: some View {
        List {
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            Section(L("order_pick_customer")) {
                ForEach(model.customerResults) { c in
                    Button { model.pick(c) } label: {
                        VStack(alignment: .leading) {
                            Text(c.name)
                            Text([c.code, c.city, c.district].filter { !$0.isEmpty }.joined(separator: " · ")).font(.caption).foregroundStyle(.secondary)
                        }
                    }
                }
            }
        }
        .searchable(text: $model.customerQuery, prompt: L("customers_search_hint"))
        .navigationTitle(L("order_new_title"))
    }

    private var linesStep: some View {
        Form {
            if let error = model.error {
                Text(errorText(error)).foregroundStyle(.red)
                if let id = model.savedOrderID { NavigationLink(L("order_open_saved"), value: Route.order(id)) }
            }
            Section(L("order_customer")) {
                HStack {
                    Text(model.customerName)
                    Spacer()
                    if !model.customerFixed { Button(L("order_change_customer")) { model.changeCustomer() } }
                }
            }
            Section(L("order_lines", model.lines.count)) {
                if model.lines.isEmpty { Text(L("order_no_lines")).font(.caption) }
                ForEach(Array(model.lines.enumerated()), id: \.offset) { _, line in DraftLineRow(line: line) }
                    .onDelete(perform: model.removeLines)
            }
            Section(L("order_add_line")) {
                // The product picker: the catalog when the phone has one, else the product id typed.
                TextField(L("product_search"), text: $model.form.productQuery)
                    .onChange(of: model.form.productQuery) { _ in Task { await model.searchProducts() } }
                ForEach(model.productResults) { p in
                    Button("\(p.code) \(p.name)") { model.pick(p) }
                }
                if !model.form.productQuery.isEmpty && model.productResults.isEmpty {
                    Text(L("product_no_catalog")).font(.caption)
                }
                if !model.form.productLabel.isEmpty {
                    Text(model.form.productLabel)
                } else {
                    TextField(L("product_id"), text: $model.form.productID)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                        .accessibilityIdentifier("order-product-id")
                }
                TextField(L("order_quantity"), text: $model.form.quantity).keyboardType(.decimalPad)
                TextField(L("order_discount"), text: $model.form.discountPercent).keyboardType(.decimalPad)
                TextField(L("order_delivery"), text: $model.form.delivery)
                if let problem = model.lineProblem { Text(lineProblemText(problem)).foregroundStyle(.red) }
                Button(L("order_add_line")) { model.addLine() }.accessibilityIdentifier("order-add-line")
            }
            Section(L("field_notes")) {
                TextField(L("field_notes"), text: $model.notes, axis: .vertical).lineLimit(2...6)
            }
            Section {
                Text(L("order_priced_by_server")).font(.caption)
                Button(L("order_save_draft")) { Task { await model.save(submit: false) } }.disabled(!model.canSave)
                Button(L("order_submit")) { Task { await model.save(submit: true) } }
                    .disabled(!model.canSave)
                    .accessibilityIdentifier("order-submit")
            }
        }
        .navigationTitle(L("order_new_title"))
    }
}

private struct DraftLineRow: View {
    let line: OrderLineDraft

    var body: some View {
        let detail = [
            L("order_line_quantity", formatQuantity(line.quantity)),
            line.discountBp > 0 ? L("order_line_discount", formatPercentBp(line.discountBp)) : nil,
            line.requestedDelivery.map { L("order_line_delivery", $0) },
        ].compactMap { $0 }.joined(separator: " · ")
        VStack(alignment: .leading) {
            Text(line.label.isEmpty ? line.productID : line.label)
            Text(detail).font(.caption).foregroundStyle(.secondary)
        }
    }
}

// MARK: - The order screen

@MainActor
final class OrderViewModel: ObservableObject {
    @Published private(set) var order: Order?
    @Published private(set) var customerName = ""
    @Published private(set) var busy = false
    @Published private(set) var gone = false
    @Published private(set) var error: Error?
    let repo: FieldRepository
    let orderID: String
    private var watcher: Task<Void, Never>?

    init(repo: FieldRepository, orderID: String) {
        self.repo = repo
        self.orderID = orderID
    }

    deinit { watcher?.cancel() }

    func can(_ step: OrderStep) -> Bool { !busy && (order?.steps.contains(step) ?? false) }

    func start() async {
        if watcher == nil {
            watcher = Task { [weak self, repo, orderID] in
                for await u in repo.updates() {
                    switch u {
                    case .revoked(let ids) where ids.contains(orderID): self?.gone = true
                    case .docsReceived: await self?.load()
                    case .compensated(let id, _) where id == orderID: await self?.load()
                    default: break
                    }
                }
            }
        }
        await load()
    }

    func load() async {
        do {
            let o = try await repo.order(id: orderID)
            order = o
            customerName = (try? await repo.customer(id: o.customerID).name) ?? ""
        } catch FieldError.notFound {
            gone = true
        } catch {
            self.error = error
        }
    }

    private func run(_ action: () async throws -> Void) async {
        busy = true
        error = nil
        do { try await action() } catch { self.error = error }
        await load()
        busy = false
    }

    func submit() async { await run { try await repo.submitOrder(id: orderID) } }

    func cancel(reason: String) async { await run { try await repo.cancelOrder(id: orderID, reason: reason) } }
}

struct OrderView: View {
    @StateObject var model: OrderViewModel
    @State private var cancelling = false
    @State private var reason = ""

    var body: some View {
        List {
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            if model.gone {
                Text(L("order_gone"))
            } else if let o = model.order {
                Section {
                    Text(model.customerName).font(.headline)
                    Text([statusText(o.status), o.number ?? L("order_no_number")].joined(separator: " · ")).font(.subheadline)
                }
                Section(L("order_lines", o.lines.count)) {
                    ForEach(o.lines) { OrderLineRow(line: $0, currency: o.currency) }
                }
                Section {
                    if o.currency.isEmpty {
                        Text(L("order_priced_by_server")).font(.caption)
                    } else {
                        total(L("order_subtotal"), formatMoney(o.subtotal, currency: o.currency))
                        if o.discountTotal != 0 { total(L("order_discount_total"), "−" + formatMoney(o.discountTotal, currency: o.currency)) }
                        total(L("order_total"), formatMoney(o.total, currency: o.currency))
                    }
                    if !o.notes.isEmpty { Text(o.notes) }
                    if !o.cancelReason.isEmpty { Text(L("order_cancel_reason_shown", o.cancelReason)) }
                }
                Section {
                    if o.steps.contains(.submit) {
                        Button(L("order_submit")) { Task { await model.submit() } }.disabled(!model.can(.submit))
                    }
                    if o.steps.contains(.cancel) {
                        Button(L("order_cancel"), role: .destructive) { cancelling = true }.disabled(!model.can(.cancel))
                    }
                }
            }
        }
        .navigationTitle(model.order?.number ?? L("order_title"))
        .alert(L("order_cancel"), isPresented: $cancelling) {
            TextField(L("order_cancel_reason"), text: $reason)
            Button(L("order_cancel"), role: .destructive) {
                let r = reason
                reason = ""
                Task { await model.cancel(reason: r) }
            }
            Button(L("action_back"), role: .cancel) {}
        }
        .task { await model.start() }
    }

    private func total(_ label: String, _ value: String) -> some View {
        HStack {
            Text(label)
            Spacer()
            Text(value).bold()
        }
    }
}

private struct OrderLineRow: View {
    let line: OrderLine
    let currency: String

    var body: some View {
        let name = [line.productCode, line.productName].filter { !$0.isEmpty }.joined(separator: " ")
        let qty = [formatQuantity(line.quantity), line.unit].filter { !$0.isEmpty }.joined(separator: " ")
        let detail = [
            qty,
            currency.isEmpty ? nil : "× " + formatMoney(line.unitPrice, currency: currency),
            line.discountBp > 0 ? L("order_line_discount", formatPercentBp(line.discountBp)) : nil,
            line.requestedDelivery.map { L("order_line_delivery", $0) },
        ].compactMap { $0 }.joined(separator: " · ")
        HStack {
            VStack(alignment: .leading) {
                Text(name.isEmpty ? (line.productID ?? "") : name)
                Text(detail).font(.caption).foregroundStyle(.secondary)
                if !line.problem.isEmpty { Text(line.problem).font(.caption).foregroundStyle(.red) }
            }
            Spacer()
            if !currency.isEmpty { Text(formatMoney(line.lineTotal, currency: currency)) }
        }
    }
}
