// One visit: check-in facts, notes (saved as the rep types, debounced), photos from the camera,
// outcome, check-out.
import FieldCRMKit
import SwiftUI

@MainActor
final class VisitViewModel: ObservableObject {
    enum Busy { case addingPhoto, locating, checkingOut }

    @Published private(set) var visit: Visit?
    @Published private(set) var customerName = ""
    @Published var notes = "" { didSet { scheduleNotesSave() } }
    @Published var outcome = ""
    @Published private(set) var busy: Busy?
    @Published private(set) var error: Error?
    private let repo: FieldRepository
    let visitID: String
    private var savedNotes: String?
    private var notesTask: Task<Void, Never>?
    private var watcher: Task<Void, Never>?

    init(repo: FieldRepository, visitID: String) {
        self.repo = repo
        self.visitID = visitID
    }

    deinit {
        watcher?.cancel()
        notesTask?.cancel()
    }

    func start() async {
        if watcher == nil {
            watcher = Task { [weak self, repo] in
                for await u in repo.updates() {
                    switch u {
                    case .uploadsFinished, .docsReceived: await self?.refresh()
                    default: break
                    }
                }
            }
        }
        do {
            let v = try await repo.visit(id: visitID)
            visit = v
            savedNotes = v.notes
            notes = v.notes
            outcome = v.outcome
            customerName = (try? await repo.customer(id: v.customerID).name) ?? ""
        } catch {
            self.error = error
        }
    }

    private func refresh() async {
        if let v = try? await repo.visit(id: visitID) { visit = v }
    }

    private func scheduleNotesSave() {
        guard visit?.isOpen == true, notes != savedNotes else { return }
        notesTask?.cancel()
        notesTask = Task {
            try? await Task.sleep(nanoseconds: 1_000_000_000)
            guard !Task.isCancelled else { return }
            await saveNotes()
        }
    }

    /// Commits the notes now (also called before check-out).
    func saveNotes() async {
        guard visit?.isOpen == true, notes != savedNotes else { return }
        let text = notes
        do {
            try await repo.setVisitNotes(visitID: visitID, notes: text)
            savedNotes = text
        } catch {
            self.error = error
        }
    }

    /// The camera produced a photo (JPEG bytes).
    func addPhoto(_ bytes: Data, caption: String) async {
        busy = .addingPhoto
        defer { busy = nil }
        do {
            _ = try await repo.addVisitPhoto(visitID: visitID, bytes: bytes, contentType: "image/jpeg", caption: caption.trimmingCharacters(in: .whitespaces))
            await refresh()
        } catch {
            self.error = error
        }
    }

    /// Checks out now with the outcome and notes, at the current position if there is one.
    func checkOut(locator: Locator) async {
        busy = .locating
        defer { busy = nil }
        notesTask?.cancel()
        let fix = await locator.fix()
        busy = .checkingOut
        do {
            try await repo.checkOut(visitID: visitID, outcome: outcome, notes: notes, fix: fix)
            savedNotes = notes
            await refresh()
        } catch {
            self.error = error
        }
    }
}

struct VisitView: View {
    @StateObject var model: VisitViewModel
    var locator: Locator = DeviceLocator()
    @State private var caption = ""
    @State private var camera = false

    var body: some View {
        Form {
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            switch model.busy {
            case .locating: ProgressView(L("visit_locating"))
            case .addingPhoto: ProgressView(L("visit_adding_photo"))
            case .checkingOut: ProgressView(L("visit_checking_out"))
            case nil: EmptyView()
            }
            if let v = model.visit {
                Section {
                    checkPoint(L("visit_checked_in"), v.checkIn)
                    if let out = v.checkOut { checkPoint(L("visit_checked_out"), out) }
                }
                Section(L("field_notes")) {
                    TextField(L("field_notes"), text: $model.notes, axis: .vertical)
                        .lineLimit(4...12)
                        .disabled(!v.isOpen)
                        .accessibilityIdentifier("visit-notes")
                }
                Section(L("visit_photos", v.photos.count)) {
                    ScrollView(.horizontal) {
                        HStack { ForEach(v.photos) { PhotoTile(photo: $0) } }
                    }
                    if v.isOpen {
                        TextField(L("visit_photo_caption"), text: $caption)
                        Button { camera = true } label: { Label(L("visit_take_photo"), systemImage: "camera") }
                            .disabled(!CameraPicker.isAvailable || model.busy != nil)
                    }
                }
                Section(L("visit_outcome")) {
                    if v.isOpen {
                        TextField(L("visit_outcome"), text: $model.outcome).accessibilityIdentifier("visit-outcome")
                        Button(L("visit_check_out")) { Task { await model.checkOut(locator: locator) } }
                            .disabled(model.busy != nil)
                            .accessibilityIdentifier("visit-check-out")
                    } else {
                        Text(v.outcome)
                    }
                }
            }
        }
        .navigationTitle(model.customerName.isEmpty ? L("visit_title") : model.customerName)
        .sheet(isPresented: $camera) {
            CameraPicker { data in
                let text = caption
                caption = ""
                Task { await model.addPhoto(data, caption: text) }
            }
            .ignoresSafeArea()
        }
        .task { await model.start() }
        // Notes typed in the last second are committed locally when the screen closes.
        .onDisappear { Task { await model.saveNotes() } }
    }

    @ViewBuilder private func checkPoint(_ label: String, _ point: CheckPoint?) -> some View {
        VStack(alignment: .leading, spacing: 2) {
            Text(label).font(.caption).foregroundStyle(.secondary)
            if let point {
                Text(formatDateTime(point.at))
                Text(formatPosition(point) ?? L("visit_no_position")).font(.caption)
            } else {
                Text(L("visit_no_check_in"))
            }
        }
    }
}

/// A photo (of a visit or a dispatch, or a signature) with its upload state.
struct PhotoTile: View {
    let photo: VisitPhoto
    var side: CGFloat = 110

    var body: some View {
        ZStack(alignment: .bottomTrailing) {
            Group {
                if let path = photo.localPath, let image = UIImage(contentsOfFile: path) {
                    Image(uiImage: image).resizable().scaledToFill()
                } else {
                    Image(systemName: "photo").font(.largeTitle)
                }
            }
            .frame(width: side, height: side)
            .clipShape(RoundedRectangle(cornerRadius: 8))
            .accessibilityLabel(photo.caption)
            Image(systemName: photo.uploaded ? "checkmark.icloud" : "icloud.and.arrow.up")
                .padding(4)
                .accessibilityLabel(L(photo.uploaded ? "photo_uploaded" : "photo_waiting"))
        }
    }
}
