// One position fix for a check-in/out, from the fused location provider; null when the user
// denied the permission, location is off, or no fix comes within the timeout (the visit is
// recorded without a position rather than blocking the rep at the door).
package com.fieldcrm.app.ui.visit

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import androidx.core.content.ContextCompat
import com.fieldcrm.kit.GeoFix
import com.google.android.gms.location.CurrentLocationRequest
import com.google.android.gms.location.LocationServices
import com.google.android.gms.location.Priority
import com.google.android.gms.tasks.CancellationTokenSource
import kotlinx.coroutines.tasks.await
import kotlinx.coroutines.withTimeoutOrNull

/** Where check-in/out positions come from (tests pass a fixed one). */
interface Locator {
    /** Whether the app may ask for a position. */
    fun hasPermission(): Boolean

    /** A fresh fix, or null (no permission, location off, timeout). */
    suspend fun fix(): GeoFix?
}

/** The fused location provider. */
class FusedLocator(private val context: Context) : Locator {
    override fun hasPermission(): Boolean = hasLocationPermission(context)
    override suspend fun fix(): GeoFix? = currentFix(context)
}

/** The permissions a check-in asks for (fine preferred; coarse accepted). */
val LOCATION_PERMISSIONS = arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)

/** Whether the user granted any location permission. */
fun hasLocationPermission(context: Context): Boolean =
    LOCATION_PERMISSIONS.any { ContextCompat.checkSelfPermission(context, it) == PackageManager.PERMISSION_GRANTED }

/** A fresh fix (at most 30 s old), or null. */
@SuppressLint("MissingPermission") // checked by hasLocationPermission
suspend fun currentFix(context: Context, timeoutMs: Long = 15_000): GeoFix? {
    if (!hasLocationPermission(context)) return null
    val client = LocationServices.getFusedLocationProviderClient(context)
    val request = CurrentLocationRequest.Builder()
        .setPriority(Priority.PRIORITY_HIGH_ACCURACY)
        .setMaxUpdateAgeMillis(30_000)
        .setDurationMillis(timeoutMs)
        .build()
    val cancel = CancellationTokenSource()
    return try {
        withTimeoutOrNull(timeoutMs) {
            client.getCurrentLocation(request, cancel.token).await()
        }?.let { GeoFix(it.latitude, it.longitude, if (it.hasAccuracy()) it.accuracy.toDouble() else null) }
    } catch (e: SecurityException) {
        null
    } catch (e: com.google.android.gms.common.api.ApiException) {
        // Play services missing or location turned off.
        null
    } finally {
        cancel.cancel()
    }
}
