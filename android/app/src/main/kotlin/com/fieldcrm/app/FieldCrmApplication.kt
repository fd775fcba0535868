// Process start: the container, background sync schedules, live sync while in the foreground.
package com.fieldcrm.app

import android.app.Application
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import androidx.lifecycle.lifecycleScope
import com.fieldcrm.app.sync.SyncScheduler
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
        ProcessLifecycleOwner.get().lifecycle.addObserver(LiveWhileVisible())
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
