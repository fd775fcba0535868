// Sign-in: server, user name, password; then the first sync.
import FieldCRMKit
import SwiftUI
import UIKit

@MainActor
final class LoginViewModel: ObservableObject {
    enum Step { case form, signingIn, firstSync, done }

    @Published var serverURL = "http://"
    @Published var username = ""
    @Published var password = ""
    @Published private(set) var step = Step.form
    @Published private(set) var error: Error?
    /// The first sync failed (offline): signed in, data comes later.
    @Published private(set) var firstSyncSkipped = false
    private let repo: FieldRepository
    private let deviceName: String

    init(repo: FieldRepository, deviceName: String = UIDevice.current.name) {
        self.repo = repo
        self.deviceName = deviceName
    }

    var canSubmit: Bool { step == .form && serverURL.count > "http://".count && !username.isEmpty && !password.isEmpty }

    func submit() async {
        guard canSubmit else { return }
        step = .signingIn
        error = nil
        do {
            _ = try await repo.login(serverURL: serverURL, username: username, password: password, deviceName: deviceName)
        } catch {
            self.error = error
            password = ""
            step = .form
            return
        }
        password = ""
        step = .firstSync
        do {
            try await repo.syncNow()
        } catch {
            firstSyncSkipped = true
        }
        try? await repo.startLiveSync()
        step = .done
    }
}

struct LoginView: View {
    @StateObject var model: LoginViewModel
    let onSignedIn: () -> Void

    var body: some View {
        Form {
            Section {
                Text(L("app_name")).font(.largeTitle.bold())
                Text(L("login_subtitle")).foregroundStyle(.secondary)
            }
            Section {
                TextField(L("login_server"), text: $model.serverURL)
                    .keyboardType(.URL).textInputAutocapitalization(.never).autocorrectionDisabled()
                TextField(L("login_username"), text: $model.username)
                    .textInputAutocapitalization(.never).autocorrectionDisabled()
                SecureField(L("login_password"), text: $model.password)
                    .onSubmit { Task { await model.submit() } }
            }
            .disabled(model.step != .form)
            if let error = model.error {
                Text(errorText(error)).foregroundStyle(.red)
            }
            Section {
                switch model.step {
                case .form:
                    Button(L("login_submit")) { Task { await model.submit() } }.disabled(!model.canSubmit)
                case .signingIn:
                    ProgressView(L("login_signing_in"))
                case .firstSync, .done:
                    ProgressView(L("login_first_sync"))
                }
            }
        }
        .onChange(of: model.step) { step in
            if step == .done { onSignedIn() }
        }
    }
}
