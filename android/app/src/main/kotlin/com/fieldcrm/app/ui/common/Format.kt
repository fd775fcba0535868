// Dates and times in the user's locale and zone.
package com.fieldcrm.app.ui.common

import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.FormatStyle

private val dateTime = DateTimeFormatter.ofLocalizedDateTime(FormatStyle.SHORT)
private val time = DateTimeFormatter.ofLocalizedTime(FormatStyle.SHORT)

/** `2025/3/4 14:05` style, local zone. */
fun formatDateTime(unixMs: Long): String =
    dateTime.withZone(ZoneId.systemDefault()).format(Instant.ofEpochMilli(unixMs))

/** `14:05` style, local zone. */
fun formatTime(unixMs: Long): String =
    time.withZone(ZoneId.systemDefault()).format(Instant.ofEpochMilli(unixMs))

/** "31.23012, 121.47011 (±8 m)". */
fun formatPosition(lat: Double?, lon: Double?, accuracyM: Double?): String? {
    if (lat == null || lon == null) return null
    val acc = accuracyM?.let { " (±${it.toInt()} m)" }.orEmpty()
    return "%.5f, %.5f%s".format(lat, lon, acc)
}
