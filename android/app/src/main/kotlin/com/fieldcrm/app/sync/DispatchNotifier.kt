// System notifications for new jobs: when sync brings a dispatch new to this phone (live sync's
// Arrived event, or a background sync that found new ones), the engineer is told even when the
// app is not on screen; tapping opens the job.
package com.fieldcrm.app.sync

import android.Manifest
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import com.fieldcrm.app.MainActivity
import com.fieldcrm.app.R
import com.fieldcrm.kit.DispatchSummary

/** Posts one notification per new dispatch, on the "New jobs" channel. */
object DispatchNotifier {
    private const val CHANNEL = "dispatches"

    /** The intent extra carrying the dispatch to open. */
    const val EXTRA_DISPATCH_ID = "com.fieldcrm.app.extra.DISPATCH_ID"

    /** Whether notifications may be posted (Android 13+ asks the user). */
    fun canNotify(context: Context): Boolean =
        Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU ||
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) == PackageManager.PERMISSION_GRANTED

    /** Creates the channel (idempotent); called at process start. */
    fun ensureChannel(context: Context) {
        val channel = NotificationChannel(CHANNEL, context.getString(R.string.notify_channel_dispatches), NotificationManager.IMPORTANCE_HIGH)
        channel.description = context.getString(R.string.notify_channel_dispatches_description)
        context.getSystemService(NotificationManager::class.java)?.createNotificationChannel(channel)
    }

    /** Tells the user about `dispatches` (new to the phone); does nothing without the permission. */
    fun notify(context: Context, dispatches: List<DispatchSummary>) {
        if (dispatches.isEmpty() || !canNotify(context)) return
        val manager = NotificationManagerCompat.from(context)
        for (d in dispatches) {
            val open = Intent(context, MainActivity::class.java)
                .setFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_SINGLE_TOP)
                .putExtra(EXTRA_DISPATCH_ID, d.id)
            val pending = PendingIntent.getActivity(
                context,
                d.id.hashCode(),
                open,
                PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
            )
            val notification = NotificationCompat.Builder(context, CHANNEL)
                .setSmallIcon(R.drawable.ic_notify_dispatch)
                .setContentTitle(context.getString(R.string.notify_new_dispatch, d.customerName))
                .setContentText(d.address)
                .setCategory(NotificationCompat.CATEGORY_MESSAGE)
                .setPriority(NotificationCompat.PRIORITY_HIGH)
                .setContentIntent(pending)
                .setAutoCancel(true)
                .build()
            try {
                manager.notify(d.id, NOTIFICATION_ID, notification)
            } catch (e: SecurityException) {
                // The permission was revoked between the check and the post: nothing to show.
            }
        }
    }

    private const val NOTIFICATION_ID = 1
}
