// Local notifications for new jobs: when sync brings a dispatch new to this phone (live sync's
// `arrived` event, or a background sync that found new ones), the engineer is told even when the
// app is not on screen; tapping the notification opens the job.
import FieldCRMKit
import Foundation
import UserNotifications

enum DispatchNotifications {
    /// The notification's user-info key holding the dispatch id.
    static let dispatchKey = "dispatchID"

    /// Asks once for permission to notify (alerts and sounds).
    static func requestPermission() async {
        _ = try? await UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound])
    }

    /// One notification per new dispatch; nothing without the permission.
    static func post(_ dispatches: [DispatchSummary]) async {
        let center = UNUserNotificationCenter.current()
        for d in dispatches {
            let content = UNMutableNotificationContent()
            content.title = L("notify_new_dispatch", d.customerName)
            content.body = d.address
            content.sound = .default
            content.userInfo = [dispatchKey: d.id]
            try? await center.add(UNNotificationRequest(identifier: "dispatch-\(d.id)", content: content, trigger: nil))
        }
    }
}

/// Shows job notifications while the app is open too, and routes a tapped one to its job.
final class NotificationRouter: NSObject, UNUserNotificationCenterDelegate, @unchecked Sendable {
    static let shared = NotificationRouter()
    private let lock = NSLock()
    private var handler: ((String) -> Void)?
    private var pending: String?

    /// Where tapped jobs go; a job tapped before this is set is delivered now.
    func onOpen(_ handler: @escaping (String) -> Void) {
        let waiting: String? = lock.withLock {
            self.handler = handler
            defer { pending = nil }
            return pending
        }
        if let waiting { handler(waiting) }
    }

    func userNotificationCenter(_ center: UNUserNotificationCenter, willPresent notification: UNNotification,
                                withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void) {
        completionHandler([.banner, .sound])
    }

    func userNotificationCenter(_ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
                                withCompletionHandler completionHandler: @escaping () -> Void) {
        if let id = response.notification.request.content.userInfo[DispatchNotifications.dispatchKey] as? String {
            let h: ((String) -> Void)? = lock.withLock {
                if handler == nil { pending = id }
                return handler
            }
            if let h { DispatchQueue.main.async { h(id) } }
        }
        completionHandler()
    }
}
