// The bar above the customer list: connected/offline, pending changes and uploads, last sync.
import FieldCRMKit
import SwiftUI

/// The text of the status bar for `state`.
func syncStatusText(_ state: SyncState) -> String {
    var parts: [String] = []
    switch state.connection {
    case .connected: parts.append(L("sync_connected"))
    case .connecting: parts.append(L("sync_connecting"))
    case .offline: parts.append(L("sync_offline"))
    }
    if state.pendingChanges > 0 {
        parts.append(L(state.pendingChanges == 1 ? "sync_pending_one" : "sync_pending_other", state.pendingChanges))
    } else {
        parts.append(L("sync_all_sent"))
    }
    if state.pendingUploads > 0 {
        parts.append(L(state.pendingUploads == 1 ? "sync_uploads_one" : "sync_uploads_other", state.pendingUploads))
    }
    parts.append(state.lastSyncAt.map { L("sync_last", formatDateTime($0)) } ?? L("sync_never"))
    return parts.joined(separator: " · ")
}

struct SyncStatusBar: View {
    let state: SyncState

    var body: some View {
        HStack(spacing: 8) {
            Image(systemName: state.connection == .connected ? "icloud" : state.connection == .connecting ? "arrow.triangle.2.circlepath.icloud" : "icloud.slash")
            Text(syncStatusText(state)).font(.caption).lineLimit(2)
            Spacer(minLength: 0)
        }
        .padding(.horizontal, 16)
        .padding(.vertical, 6)
        .background(state.connection == .connected ? Color.accentColor.opacity(0.15) : Color.secondary.opacity(0.12))
        .accessibilityElement(children: .combine)
        .accessibilityIdentifier("sync-status")
    }
}
