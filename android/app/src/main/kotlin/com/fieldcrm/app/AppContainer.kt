// The app's object graph: one FieldRepository per process, opened on first use.
package com.fieldcrm.app

import android.content.Context
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.uniffi.UniffiFieldRepository
import java.io.File
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** Holds the process's [FieldRepository]; tests install a fake with [AppContainer.override]. */
class AppContainer(private val context: Context) {
    private val lock = Mutex()

    @Volatile
    private var repository: FieldRepository? = null

    /** The repository, opening the local store (files/fieldcrm) the first time. */
    suspend fun repository(): FieldRepository {
        repository?.let { return it }
        return lock.withLock {
            repository ?: UniffiFieldRepository.open(File(context.filesDir, "fieldcrm").absolutePath)
                .also { repository = it }
        }
    }

    /** The repository if it is already open (for callbacks that must not open it). */
    fun openedRepository(): FieldRepository? = repository

    /** Replaces the repository (instrumented tests, demo builds). */
    fun override(fake: FieldRepository) {
        repository = fake
    }
}
