// Background sync: a BGAppRefreshTask that runs one sync when iOS grants time (at most every
// 15 minutes, only with a network), rescheduling itself each time; new dispatches are announced.
import BackgroundTasks
import FieldCRMKit
import Foundation

enum BackgroundSync {
    static let identifier = "com.fieldcrm.sync"

    /// Registers the handler; call once before the app finishes launching.
    static func register(repository: @escaping () -> FieldRepository?) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let task = task as? BGAppRefreshTask else { return }
            schedule()
            let work = Task {
                guard let repo = repository(), (try? await repo.session()) != nil else {
                    task.setTaskCompleted(success: true)
                    return
                }
                do {
                    // Live sync announces new dispatches itself; here the sync's result is compared.
                    let before = Set(((try? await repo.dispatches()) ?? []).map(\.id))
                    try await repo.syncNow()
                    let fresh = ((try? await repo.dispatches()) ?? []).filter { !before.contains($0.id) && !$0.status.isFinal }
                    await DispatchNotifications.post(fresh)
                    task.setTaskCompleted(success: true)
                } catch {
                    task.setTaskCompleted(success: false)
                }
            }
            task.expirationHandler = { work.cancel() }
        }
    }

    /// Asks for the next background sync in 15 minutes or later.
    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    static func cancel() {
        BGTaskScheduler.shared.cancel(taskRequestWithIdentifier: identifier)
    }
}
