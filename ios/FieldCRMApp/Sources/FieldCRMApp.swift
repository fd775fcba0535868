// The app: opens the repository, shows login, the customer list or (engineers) the job list, runs
// live sync while active, schedules background sync (BGTaskScheduler) when it leaves the
// foreground, and announces new dispatches with a notification that opens the job.
import FieldCRMKit
import SwiftUI
import UserNotifications

@main
struct FieldCRMApp: App {
    @StateObject private var model = AppModel()
    @Environment(\.scenePhase) private var phase

    init() {
        BackgroundSync.register { SharedRepository.current }
        UNUserNotificationCenter.current().delegate = NotificationRouter.shared
    }

    var body: some Scene {
        WindowGroup {
            RootView(model: model)
        }
        .onChange(of: phase) { newPhase in
            Task { await model.phaseChanged(to: newPhase) }
        }
    }
}

/// The one repository of the process, for the background task (which has no view).
enum SharedRepository {
    private static let lock = NSLock()
    private static var value: FieldRepository?

    static var current: FieldRepository? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// What the root shows.
enum Opening {
    case loading
    case ready(signedIn: Bool)
    case failed(Error)
}

/// Owns the repository, the session state and the banner for live-sync events.
@MainActor
final class AppModel: ObservableObject {
    @Published private(set) var opening: Opening = .loading
    @Published var signedIn = false
    /// The signed-in user's role: an engineer starts at the job list.
    @Published private(set) var role: String?
    @Published var banner: String?
    /// The navigation stack of the signed-in screens (a tapped notification pushes its job).
    @Published var path: [Route] = []
    private(set) var repo: FieldRepository?
    private var eventsTask: Task<Void, Never>?

    init(repository: FieldRepository? = nil) {
        if let repository { attach(repository) }
    }

    /// Opens the store in Application Support/fieldcrm (once).
    func open() async {
        if repo != nil { return }
        do {
            let dir = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
                .appendingPathComponent("fieldcrm", isDirectory: true)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            attach(try await UniffiFieldRepository.open(dataDir: dir.path))
        } catch {
            opening = .failed(error)
        }
    }

    private func attach(_ repository: FieldRepository) {
        repo = repository
        SharedRepository.current = repository
        eventsTask = Task { [weak self] in
            for await update in repository.updates() {
                self?.show(update)
            }
        }
        Task {
            let session = try? await repository.session()
            role = session?.role
            signedIn = session != nil
            if signedIn { _ = try? await repository.refreshState() }
            opening = .ready(signedIn: signedIn)
            if signedIn { try? await repository.startLiveSync() }
        }
    }

    /// Opens a job (a tapped notification).
    func openDispatch(_ id: String) {
        guard signedIn else { return }
        path = [.dispatch(id)]
    }

    private func show(_ update: SyncUpdate) {
        switch update {
        case .arrived(let kind, let ids) where kind == "dispatch":
            banner = L(ids.count == 1 ? "snack_new_dispatches_one" : "snack_new_dispatches_other", ids.count)
            if let repo {
                Task {
                    let fresh = ((try? await repo.dispatches()) ?? []).filter { ids.contains($0.id) }
                    await DispatchNotifications.post(fresh)
                }
            }
        case .compensated(_, let paths): banner = L("snack_compensated", paths.joined(separator: ", "))
        case .rejected(_, let reason): banner = L("snack_rejected", reason)
        case .revoked(let ids): banner = L(ids.count == 1 ? "snack_revoked_one" : "snack_revoked_other", ids.count)
        case .uploadsFinished(_, let failed) where failed > 0: banner = L("snack_uploads_failed", failed)
        case .disconnected where !(repo?.syncState.signedIn ?? true): signedIn = false
        default: break
        }
    }

    /// Live sync while visible; background sync scheduled when leaving.
    func phaseChanged(to phase: ScenePhase) async {
        guard let repo, signedIn else { return }
        switch phase {
        case .active:
            try? await repo.startLiveSync()
        case .background:
            await repo.stopLiveSync()
            BackgroundSync.schedule()
        default:
            break
        }
    }

    func didSignIn() {
        Task {
            role = (try? await repo?.session())?.role
            path = []
            signedIn = true
            BackgroundSync.schedule()
        }
    }

    func logout() async {
        try? await repo?.logout()
        BackgroundSync.cancel()
        signedIn = false
        role = nil
        path = []
    }
}

/// Login or the app, once the repository is open.
struct RootView: View {
    @ObservedObject var model: AppModel

    var body: some View {
        Group {
            switch model.opening {
            case .loading:
                ProgressView().task { await model.open() }
            case .failed(let error):
                VStack(spacing: 12) {
                    Text(L("error_store_open")).font(.headline)
                    Text(errorText(error))
                }
                .padding()
            case .ready:
                if let repo = model.repo {
                    if model.signedIn {
                        NavigationStack(path: $model.path) {
                            if model.role == "engineer" {
                                DispatchListView(model: DispatchListViewModel(repo: repo), onLogout: { Task { await model.logout() } })
                            } else {
                                CustomerListView(model: CustomerListViewModel(repo: repo), onLogout: { Task { await model.logout() } })
                            }
                        }
                        .onAppear { NotificationRouter.shared.onOpen { id in model.openDispatch(id) } }
                    } else {
                        LoginView(model: LoginViewModel(repo: repo), onSignedIn: model.didSignIn)
                    }
                }
            }
        }
        .overlay(alignment: .bottom) {
            if let banner = model.banner {
                Text(banner)
                    .padding()
                    .frame(maxWidth: .infinity)
                    .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
                    .padding()
                    .onTapGesture { model.banner = nil }
                    .task(id: banner) {
                        try? await Task.sleep(nanoseconds: 4_000_000_000)
                        if model.banner == banner { model.banner = nil }
                    }
            }
        }
    }
}
