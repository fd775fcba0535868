// Process start: the container, background sync schedules, live sync while in the foreground,
// notifications of new dispatches.
package com.fieldcrm.app

import android.app.Application
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import androidx.lifecycle.lifecycleScope
import com.fieldcrm.app.sync.DispatchNotifier
import com.fieldcrm.app.sync.SyncScheduler
import com.fieldcrm.kit.SyncUpdate
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.launch

/** The application: owns the [AppContainer] and ties live sync to the app being visible. */
class FieldCrmApplication : Application() {
    /** The process's object graph. */
    lateinit var container: AppContainer
        private set

    override fun onCreate() {
        super.onCreate()
        container = AppContainer(this)
        SyncScheduler.schedulePeriodic(this)
        DispatchNotifier.ensureChannel(this)
        ProcessLifecycleOwner.get().lifecycle.addObserver(LiveWhileVisible())
        announceNewDispatches()
    }

    /** Live sync's `Arrived` events of kind dispatch become notifications, for the process's life. */
    private fun announceNewDispatches() {
        ProcessLifecycleOwner.get().lifecycleScope.launch {
            val repo = runCatching { container.repository() }.getOrNull() ?: return@launch
            repo.updates.filterIsInstance<SyncUpdate.Arrived>().filter { it.kind == "dispatch" }.collect { arrived ->
                val fresh = runCatching { repo.dispatches().filter { it.id in arrived.docIds } }.getOrDefault(emptyList())
                DispatchNotifier.notify(this@FieldCrmApplication, fresh)
            }
        }
    }

    /**
     * Live sync (one WebSocket, instant pushes and updates) runs while any screen is visible;
     * in the background WorkManager takes over (periodic, and once when the network returns).
     */
    private inner class LiveWhileVisible : DefaultLifecycleObserver {
        override fun onStart(owner: LifecycleOwner) {
            owner.lifecycleScope.launch {
                val repo = runCatching { container.repository() }.getOrNull() ?: return@launch
                if (runCatching { repo.session() }.getOrNull() != null) runCatching { repo.startLiveSync() }
            }
        }

        override fun onStop(owner: LifecycleOwner) {
            owner.lifecycleScope.launch {
                val repo = container.openedRepository() ?: return@launch
                runCatching { repo.stopLiveSync() }
                // Anything still unpushed goes out as soon as there is a network.
                val pending = runCatching { repo.refreshState() }.getOrNull()
                if (pending != null && (pending.pendingChanges > 0 || pending.pendingUploads > 0)) {
                    SyncScheduler.syncWhenOnline(this@FieldCrmApplication)
                }
            }
        }
    }
}
