// The engineer's side: the job list (home screen of an engineer) and the work screen of one
// dispatch — accept, en route, check in with the position, work log, parts, photos, the customer's
// signature on a pad (saved as PNG), complete or unable — each button enabled by the dispatch's
// open steps (computed by the core for the user's role); then the satisfaction survey.
import FieldCRMKit
import SwiftUI
import UIKit

// MARK: - The job list

@MainActor
final class DispatchListViewModel: ObservableObject {
    @Published private(set) var dispatches: [DispatchSummary] = []
    @Published private(set) var loading = true
    @Published private(set) var syncing = false
    @Published private(set) var error: Error?
    @Published private(set) var sync: SyncState
    let repo: FieldRepository
    private var watchers: [Task<Void, Never>] = []

    init(repo: FieldRepository) {
        self.repo = repo
        sync = repo.syncState
    }

    deinit { watchers.forEach { $0.cancel() } }

    /// Jobs still to do, in schedule order.
    var open: [DispatchSummary] { dispatches.filter { !$0.status.isFinal } }
    /// Jobs done, unable or withdrawn.
    var closed: [DispatchSummary] { dispatches.filter { $0.status.isFinal } }

    func start() async {
        guard watchers.isEmpty else { return }
        watchers.append(Task { [weak self, repo] in
            for await s in repo.syncStates() { self?.sync = s }
        })
        watchers.append(Task { [weak self, repo] in
            for await u in repo.updates() {
                switch u {
                case .arrived, .docsReceived, .revoked, .compensated, .rejected: await self?.reload()
                default: break
                }
            }
        })
        await reload()
    }

    func reload() async {
        do {
            dispatches = try await repo.dispatches()
            error = nil
        } catch {
            self.error = error
        }
        loading = false
    }

    func syncNow() async {
        guard !syncing else { return }
        syncing = true
        defer { syncing = false }
        do { try await repo.syncNow() } catch { self.error = error }
        await reload()
    }
}

struct DispatchListView: View {
    @StateObject var model: DispatchListViewModel
    let onLogout: () -> Void

    var body: some View {
        List {
            Section {
                if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
                if !model.loading && model.dispatches.isEmpty { Text(L("dispatches_empty")) }
                ForEach(model.open) { d in NavigationLink(value: Route.dispatch(d.id)) { DispatchRow(dispatch: d) } }
            } header: {
                SyncStatusBar(state: model.sync).listRowInsets(EdgeInsets())
            }
            if !model.closed.isEmpty {
                Section(L("dispatches_closed")) {
                    ForEach(model.closed) { d in NavigationLink(value: Route.dispatch(d.id)) { DispatchRow(dispatch: d) } }
                }
            }
        }
        .listStyle(.plain)
        .refreshable { await model.syncNow() }
        .navigationTitle(L("dispatches_title"))
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
        .task {
            await model.start()
            // New jobs are announced by a notification: ask once.
            await DispatchNotifications.requestPermission()
        }
    }
}

private struct DispatchRow: View {
    let dispatch: DispatchSummary

    var body: some View {
        let d = dispatch
        let overdue = (d.slaDueAt.map { $0 < Int64(Date().timeIntervalSince1970 * 1000) } ?? false) && !d.status.isFinal
        VStack(alignment: .leading, spacing: 2) {
            Text([statusText(d.status), ticketTypeText(d.ticketType), priorityText(d.priority)].joined(separator: " · "))
                .font(.caption).foregroundStyle(.secondary)
            HStack {
                Text(d.customerName).font(.headline)
                if d.pending { Image(systemName: "icloud.and.arrow.up").accessibilityLabel(L("pending_not_sent")) }
            }
            if !d.address.isEmpty { Text(d.address).font(.subheadline) }
            if let at = d.scheduledAt { Text(L("dispatch_scheduled", formatDateTime(at))).font(.caption) }
            if let due = d.slaDueAt {
                Text(L("dispatch_sla_due", formatDateTime(due))).font(.caption).foregroundStyle(overdue ? .red : .secondary)
            }
        }
    }
}

// MARK: - The work screen

@MainActor
final class DispatchViewModel: ObservableObject {
    enum Busy { case locating, saving, addingPhoto }

    @Published private(set) var dispatch: Dispatch?
    @Published private(set) var busy: Busy?
    /// Reassigned by the office (revoked) or not on this device.
    @Published private(set) var gone = false
    @Published private(set) var error: Error?
    /// The work log entry being typed.
    @Published var logText = ""
    /// What the part form's product picker found.
    @Published private(set) var productResults: [ProductChoice] = []
    let repo: FieldRepository
    let dispatchID: String
    private let catalog: ProductCatalog
    private var watcher: Task<Void, Never>?

    init(repo: FieldRepository, dispatchID: String, catalog: ProductCatalog = NoProductCatalog()) {
        self.repo = repo
        self.dispatchID = dispatchID
        self.catalog = catalog
    }

    deinit { watcher?.cancel() }

    /// Whether `step`'s button is enabled: open for the user now and nothing else running.
    func can(_ step: DispatchStep) -> Bool { busy == nil && (dispatch?.steps.contains(step) ?? false) }

    /// Checked in, everything possible but the customer's signature: say so by Complete.
    var needsSignature: Bool {
        guard let d = dispatch else { return false }
        return d.signature == nil && d.checkIn != nil && d.steps.contains(.sign)
    }

    func start() async {
        if watcher == nil {
            watcher = Task { [weak self, repo, dispatchID] in
                for await u in repo.updates() {
                    switch u {
                    case .revoked(let ids) where ids.contains(dispatchID): self?.gone = true
                    case .docsReceived, .uploadsFinished: await self?.load()
                    case .compensated(let id, _) where id == dispatchID: await self?.load()
                    case .rejected(let id, _) where id == dispatchID: await self?.load()
                    default: break
                    }
                }
            }
        }
        await load()
    }

    func load() async {
        do {
            dispatch = try await repo.dispatch(id: dispatchID)
        } catch FieldError.notFound {
            gone = true
        } catch {
            self.error = error
        }
    }

    /// Runs one step, then re-reads the dispatch.
    private func step(_ kind: Busy = .saving, _ action: () async throws -> Void) async {
        busy = kind
        error = nil
        do { try await action() } catch { self.error = error }
        await load()
        busy = nil
    }

    func accept() async { await step { try await repo.acceptDispatch(id: dispatchID) } }

    func enRoute() async { await step { try await repo.setDispatchEnRoute(id: dispatchID) } }

    /// Arrives now, at the current position if there is one.
    func checkIn(locator: Locator) async {
        busy = .locating
        let fix = await locator.fix()
        await step { try await repo.checkInDispatch(id: dispatchID, fix: fix) }
    }

    func addLog() async {
        let text = logText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        await step {
            try await repo.logDispatchWork(id: dispatchID, text: text)
            logText = ""
        }
    }

    func searchProducts(_ query: String) async {
        productResults = query.isEmpty ? [] : await catalog.search(query, limit: 20)
    }

    /// Records a part; `serials` as typed (comma or newline separated).
    func addPart(productID: String, quantity: Double, serials: String) async {
        let list = serials.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        await step { try await repo.addDispatchPart(id: dispatchID, productID: productID, quantity: quantity, serials: list) }
    }

    func addPhoto(_ bytes: Data, caption: String) async {
        await step(.addingPhoto) {
            _ = try await repo.addDispatchPhoto(id: dispatchID, bytes: bytes, contentType: "image/jpeg",
                                                caption: caption.trimmingCharacters(in: .whitespaces))
        }
    }

    func sign(_ png: Data) async { await step { _ = try await repo.signDispatch(id: dispatchID, png: png) } }

    func complete() async { await step { try await repo.completeDispatch(id: dispatchID) } }

    func unable(reason: String) async { await step { try await repo.markDispatchUnable(id: dispatchID, reason: reason) } }

    func survey(score: Int, comment: String) async { await step { try await repo.recordDispatchSurvey(id: dispatchID, score: score, comment: comment) } }
}

struct DispatchView: View {
    @StateObject var model: DispatchViewModel
    var locator: Locator = DeviceLocator()
    @State private var caption = ""
    @State private var sheet: Sheet?

    private enum Sheet: String, Identifiable {
        case camera, signature, part, unable
        var id: String { rawValue }
    }

    var body: some View {
        Form {
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            switch model.busy {
            case .locating: ProgressView(L("visit_locating"))
            case .addingPhoto: ProgressView(L("visit_adding_photo"))
            case .saving: ProgressView()
            case nil: EmptyView()
            }
            if model.gone {
                Text(L("dispatch_gone"))
            } else if let d = model.dispatch {
                job(d)
                Section {
                    stepButton(.accept, L("dispatch_accept")) { await model.accept() }
                    stepButton(.enRoute, L("dispatch_en_route")) { await model.enRoute() }
                    stepButton(.checkIn, L("dispatch_check_in")) { await model.checkIn(locator: locator) }
                    if let cp = d.checkIn {
                        VStack(alignment: .leading, spacing: 2) {
                            Text(L("visit_checked_in")).font(.caption).foregroundStyle(.secondary)
                            Text(formatDateTime(cp.at))
                            Text(formatPosition(cp) ?? L("visit_no_position")).font(.caption)
                        }
                    }
                }
                workLog(d)
                parts(d)
                photos(d)
                finish(d)
            }
        }
        .navigationTitle(model.dispatch.map { $0.site.customerName.isEmpty ? L("dispatch_title") : $0.site.customerName } ?? L("dispatch_title"))
        .sheet(item: $sheet) { which in
            switch which {
            case .camera:
                CameraPicker { data in
                    let text = caption
                    caption = ""
                    Task { await model.addPhoto(data, caption: text) }
                }
                .ignoresSafeArea()
            case .signature:
                SignatureSheet { png in
                    sheet = nil
                    Task { await model.sign(png) }
                }
            case .part:
                PartSheet(model: model) { product, quantity, serials in
                    sheet = nil
                    Task { await model.addPart(productID: product, quantity: quantity, serials: serials) }
                }
            case .unable:
                ReasonSheet { reason in
                    sheet = nil
                    Task { await model.unable(reason: reason) }
                }
            }
        }
        .task { await model.start() }
    }

    private func stepButton(_ step: DispatchStep, _ title: String, _ action: @escaping () async -> Void) -> some View {
        Button(title) { Task { await action() } }
            .disabled(!model.can(step))
            .accessibilityIdentifier("dispatch-step-\(step.rawValue)")
    }

    @ViewBuilder private func job(_ d: Dispatch) -> some View {
        Section {
            Text([statusText(d.status), ticketTypeText(d.ticketType), priorityText(d.priority)].joined(separator: " · "))
                .font(.subheadline)
            if !d.description.isEmpty { Text(d.description) }
            if !d.productSerial.isEmpty { Text(L("dispatch_product_serial", d.productSerial)).font(.caption) }
            if let at = d.scheduledAt { Text(L("dispatch_scheduled", formatDateTime(at))).font(.caption) }
            if let due = d.slaDueAt { Text(L("dispatch_sla_due", formatDateTime(due))).font(.caption) }
            if !d.site.address.isEmpty { Text(d.site.address) }
            if !d.site.contactPhone.isEmpty, let url = URL(string: "tel:\(d.site.contactPhone.filter { $0.isNumber || $0 == "+" })") {
                Link(destination: url) {
                    Label("\(d.site.contactName) \(d.site.contactPhone)", systemImage: "phone")
                }
                .accessibilityLabel(L("dispatch_call", d.site.contactName))
            } else if !d.site.contactName.isEmpty {
                Text(d.site.contactName)
            }
        }
    }

    @ViewBuilder private func workLog(_ d: Dispatch) -> some View {
        Section(L("dispatch_work_log")) {
            ForEach(d.workLog) { e in
                VStack(alignment: .leading) {
                    Text(formatDateTime(e.at)).font(.caption2).foregroundStyle(.secondary)
                    Text(e.text)
                }
            }
            if d.steps.contains(.log) {
                TextField(L("dispatch_log_hint"), text: $model.logText, axis: .vertical)
                    .lineLimit(2...6)
                    .accessibilityIdentifier("dispatch-log-text")
                Button(L("dispatch_log_add")) { Task { await model.addLog() } }
                    .disabled(!model.can(.log) || model.logText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
                    .accessibilityIdentifier("dispatch-step-log")
            }
        }
    }

    @ViewBuilder private func parts(_ d: Dispatch) -> some View {
        Section(L("dispatch_parts", d.parts.count)) {
            ForEach(d.parts) { p in
                Text("\(p.productID ?? "") × \(formatQuantity(p.quantity))" + (p.serials.isEmpty ? "" : " · " + p.serials.joined(separator: ", ")))
                    .font(.callout)
            }
            if d.steps.contains(.addPart) {
                Button(L("dispatch_part_add")) { sheet = .part }
                    .disabled(!model.can(.addPart))
                    .accessibilityIdentifier("dispatch-step-addPart")
            }
        }
    }

    @ViewBuilder private func photos(_ d: Dispatch) -> some View {
        Section(L("visit_photos", d.photos.count)) {
            if !d.photos.isEmpty {
                ScrollView(.horizontal) { HStack { ForEach(d.photos) { PhotoTile(photo: $0) } } }
            }
            if d.steps.contains(.addPhoto) {
                TextField(L("visit_photo_caption"), text: $caption)
                Button { sheet = .camera } label: { Label(L("visit_take_photo"), systemImage: "camera") }
                    .disabled(!CameraPicker.isAvailable || !model.can(.addPhoto))
                    .accessibilityIdentifier("dispatch-step-addPhoto")
            }
        }
    }

    @ViewBuilder private func finish(_ d: Dispatch) -> some View {
        Section(L("dispatch_signature")) {
            if let signature = d.signature {
                PhotoTile(photo: signature, side: 160)
            } else {
                Text(L("dispatch_not_signed"))
            }
            if d.steps.contains(.sign) {
                Button { sheet = .signature } label: {
                    Label(L(d.signature == nil ? "dispatch_sign" : "dispatch_sign_again"), systemImage: "signature")
                }
                .disabled(!model.can(.sign))
                .accessibilityIdentifier("dispatch-step-sign")
            }
            if model.needsSignature { Text(L("dispatch_needs_signature")).font(.caption) }
            stepButton(.complete, L("dispatch_complete")) { await model.complete() }
            Button(L("dispatch_unable"), role: .destructive) { sheet = .unable }
                .disabled(!model.can(.unable))
                .accessibilityIdentifier("dispatch-step-unable")
            if let at = d.completedAt { Text(L("dispatch_completed_at", formatDateTime(at))) }
            if d.status == .unable, !d.unableReason.isEmpty { Text(L("dispatch_unable_reason_shown", d.unableReason)) }
        }
        if let survey = d.survey {
            Section(L("dispatch_survey")) { Text(L("dispatch_survey_shown", survey.score, survey.comment)) }
        } else if d.steps.contains(.survey) {
            SurveySection(enabled: model.can(.survey)) { score, comment in Task { await model.survey(score: score, comment: comment) } }
        }
    }
}

private struct SurveySection: View {
    let enabled: Bool
    let onSave: (Int, String) -> Void
    @State private var score = 0
    @State private var comment = ""

    var body: some View {
        Section(L("dispatch_survey")) {
            HStack {
                ForEach(1...5, id: \.self) { n in
                    Button { score = n } label: { Image(systemName: n <= score ? "star.fill" : "star") }
                        .buttonStyle(.borderless)
                        .accessibilityLabel(L("dispatch_survey_score", n))
                }
            }
            TextField(L("dispatch_survey_comment"), text: $comment)
            Button(L("action_save")) { onSave(score, comment) }
                .disabled(!enabled || !(1...5).contains(score))
                .accessibilityIdentifier("dispatch-step-survey")
        }
    }
}

/// Why the job cannot be completed.
private struct ReasonSheet: View {
    let onSave: (String) -> Void
    @State private var reason = ""
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        NavigationStack {
            Form { TextField(L("dispatch_unable_reason"), text: $reason, axis: .vertical).lineLimit(2...6) }
                .navigationTitle(L("dispatch_unable"))
                .toolbar {
                    ToolbarItem(placement: .cancellationAction) { Button(L("action_cancel")) { dismiss() } }
                    ToolbarItem(placement: .confirmationAction) {
                        Button(L("action_save")) { onSave(reason.trimmingCharacters(in: .whitespacesAndNewlines)) }
                            .disabled(reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
                    }
                }
        }
    }
}

/// A part: the product from the picker (or its id typed while the phone has no catalog), the
/// quantity, serial numbers.
private struct PartSheet: View {
    @ObservedObject var model: DispatchViewModel
    let onSave: (String, Double, String) -> Void
    @State private var query = ""
    @State private var productID = ""
    @State private var label = ""
    @State private var quantity = "1"
    @State private var serials = ""
    @Environment(\.dismiss) private var dismiss

    private var qty: Double? {
        Double(quantity.replacingOccurrences(of: ",", with: ".")).flatMap { $0 > 0 ? $0 : nil }
    }

    var body: some View {
        NavigationStack {
            Form {
                Section {
                    TextField(L("product_search"), text: $query)
                        .onChange(of: query) { q in Task { await model.searchProducts(q) } }
                    ForEach(model.productResults.prefix(5)) { p in
                        Button("\(p.code) \(p.name)") { productID = p.id; label = "\(p.code) \(p.name)" }
                    }
                    if !label.isEmpty {
                        Text(label)
                    } else {
                        if !query.isEmpty && model.productResults.isEmpty { Text(L("product_no_catalog")).font(.caption) }
                        TextField(L("product_id"), text: $productID)
                            .textInputAutocapitalization(.never)
                            .autocorrectionDisabled()
                    }
                }
                Section {
                    TextField(L("order_quantity"), text: $quantity).keyboardType(.decimalPad)
                    TextField(L("dispatch_part_serials"), text: $serials)
                } footer: {
                    Text(L("field_list_hint"))
                }
            }
            .navigationTitle(L("dispatch_part_add"))
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(L("action_cancel")) { dismiss() } }
                ToolbarItem(placement: .confirmationAction) {
                    Button(L("action_save")) { if let qty { onSave(productID, qty, serials) } }
                        .disabled(productID.trimmingCharacters(in: .whitespaces).isEmpty || qty == nil)
                }
            }
        }
    }
}

// MARK: - The signature pad

/// The customer signs with a finger: strokes are kept as points, drawn on a Canvas, and saved as a
/// PNG (black ink on white) at the pad's size.
struct SignaturePad: View {
    @Binding var strokes: [[CGPoint]]
    @State private var current: [CGPoint] = []

    var body: some View {
        Canvas { context, _ in
            for stroke in strokes + [current] where !stroke.isEmpty {
                context.stroke(Self.path(stroke), with: .color(.black),
                               style: StrokeStyle(lineWidth: 3, lineCap: .round, lineJoin: .round))
            }
        }
        .background(Color.white)
        .overlay(RoundedRectangle(cornerRadius: 4).stroke(Color.secondary))
        .gesture(
            DragGesture(minimumDistance: 0)
                .onChanged { current.append($0.location) }
                .onEnded { _ in
                    strokes.append(current)
                    current = []
                }
        )
        .accessibilityIdentifier("signature-pad")
    }

    /// A polyline through `points`; a single point is a dot.
    static func path(_ points: [CGPoint]) -> Path {
        var path = Path()
        guard let first = points.first else { return path }
        path.move(to: first)
        if points.count == 1 { path.addLine(to: CGPoint(x: first.x + 0.1, y: first.y)) }
        for p in points.dropFirst() { path.addLine(to: p) }
        return path
    }

    /// The strokes as PNG bytes of `size` points (at 2× scale); nil when nothing is drawn.
    static func png(_ strokes: [[CGPoint]], size: CGSize) -> Data? {
        guard strokes.contains(where: { !$0.isEmpty }), size.width > 0, size.height > 0 else { return nil }
        let format = UIGraphicsImageRendererFormat()
        format.scale = 2
        format.opaque = true
        let image = UIGraphicsImageRenderer(size: size, format: format).image { ctx in
            UIColor.white.setFill()
            ctx.fill(CGRect(origin: .zero, size: size))
            UIColor.black.setStroke()
            for stroke in strokes where !stroke.isEmpty {
                let path = UIBezierPath(cgPath: Self.path(stroke).cgPath)
                path.lineWidth = 3
                path.lineCapStyle = .round
                path.lineJoinStyle = .round
                path.stroke()
            }
        }
        return image.pngData()
    }
}

/// The pad in a sheet: Clear, Cancel, Save (the PNG goes to `onSigned`).
private struct SignatureSheet: View {
    let onSigned: (Data) -> Void
    @State private var strokes: [[CGPoint]] = []
    @State private var size: CGSize = .zero
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        NavigationStack {
            VStack(alignment: .leading, spacing: 12) {
                Text(L("dispatch_signature_hint")).font(.callout)
                GeometryReader { geo in
                    SignaturePad(strokes: $strokes)
                        .onAppear { size = geo.size }
                        .onChange(of: geo.size) { size = $0 }
                }
                .frame(height: 240)
                Button(L("dispatch_signature_clear")) { strokes = [] }.disabled(strokes.isEmpty)
                Spacer()
            }
            .padding()
            .navigationTitle(L("dispatch_signature_title"))
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(L("action_cancel")) { dismiss() } }
                ToolbarItem(placement: .confirmationAction) {
                    Button(L("action_save")) { if let png = SignaturePad.png(strokes, size: size) { onSigned(png) } }
                        .disabled(strokes.isEmpty)
                }
            }
        }
        .interactiveDismissDisabled(!strokes.isEmpty)
    }
}
