// One background sync: catch up, push local work (edits, visits, photos), wait for verdicts;
// new dispatches are announced with a notification.
package com.fieldcrm.app.sync

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import com.fieldcrm.app.FieldCrmApplication
import com.fieldcrm.kit.FieldError

/** Runs [com.fieldcrm.kit.FieldRepository.syncNow]; retries (with backoff) when offline. */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val container = (applicationContext as FieldCrmApplication).container
        val repo = try {
            container.repository()
        } catch (e: FieldError) {
            return Result.failure()
        }
        // Not signed in: nothing to sync. Live sync running (app visible): it pushes already.
        if (repo.session() == null || repo.isLive) return Result.success()
        return try {
            // Live sync announces new dispatches itself; here the sync's result is compared.
            val before = runCatching { repo.dispatches().map { it.id }.toSet() }.getOrDefault(emptySet())
            repo.syncNow()
            val arrived = runCatching { repo.dispatches().filter { it.id !in before && !it.status.isFinal } }.getOrDefault(emptyList())
            DispatchNotifier.notify(applicationContext, arrived)
            Result.success()
        } catch (e: FieldError.Offline) {
            Result.retry()
        } catch (e: FieldError.Unauthorized) {
            // The session ended; the app shows the login screen on next start.
            Result.failure()
        } catch (e: FieldError) {
            if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()
        }
    }

    private companion object {
        const val MAX_ATTEMPTS = 5
    }
}
