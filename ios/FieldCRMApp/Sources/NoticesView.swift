// Notices: compensated fields, refused changes, records removed from this phone, sync problems.
import FieldCRMKit
import SwiftUI

@MainActor
final class NoticesViewModel: ObservableObject {
    @Published private(set) var notices: [Notice] = []
    @Published private(set) var loading = true
    @Published private(set) var error: Error?
    private let repo: FieldRepository

    init(repo: FieldRepository) { self.repo = repo }

    /// Loads (and so marks seen) every notice.
    func load() async {
        do {
            notices = try await repo.notices()
            error = nil
        } catch {
            self.error = error
        }
        loading = false
    }
}

/// The title of a notice kind.
func noticeTitle(_ kind: NoticeKind) -> String {
    switch kind {
    case .compensated: return L("notice_compensated")
    case .rejected: return L("notice_rejected")
    case .revoked: return L("notice_revoked")
    case .error: return L("notice_error")
    }
}

struct NoticesView: View {
    @StateObject var model: NoticesViewModel

    var body: some View {
        List {
            if let error = model.error { Text(errorText(error)).foregroundStyle(.red) }
            if !model.loading && model.notices.isEmpty { Text(L("notices_empty")) }
            ForEach(model.notices) { n in
                let row = VStack(alignment: .leading, spacing: 2) {
                    Text(noticeTitle(n.kind)).fontWeight(n.seen ? .regular : .bold)
                    Text("\(formatDateTime(n.at)) · \(n.message)").font(.caption).foregroundStyle(.secondary)
                }
                if let doc = n.docID, n.kind != .revoked {
                    NavigationLink(value: Route.customer(doc)) { row }
                } else {
                    row
                }
            }
        }
        .navigationTitle(L("notices_title"))
        .refreshable { await model.load() }
        .task { await model.load() }
    }
}
