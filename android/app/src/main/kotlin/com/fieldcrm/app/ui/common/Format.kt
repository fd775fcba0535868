// Dates, times, money and quantities in the user's locale and zone.
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

/** Minor units (fen) as money in the user's locale: `¥1,234.50`; a bare number without a currency. */
fun formatMoney(minor: Long, currency: String): String {
    val amount = java.math.BigDecimal.valueOf(minor, 2)
    if (currency.isBlank()) return java.text.NumberFormat.getNumberInstance().apply { minimumFractionDigits = 2 }.format(amount)
    return try {
        java.text.NumberFormat.getCurrencyInstance().apply {
            this.currency = java.util.Currency.getInstance(currency)
            minimumFractionDigits = 2
            maximumFractionDigits = 2
        }.format(amount)
    } catch (e: IllegalArgumentException) {
        "$currency ${amount.toPlainString()}"
    }
}

/** A quantity without trailing zeros: `3`, `0.5`, `1.125`. */
fun formatQuantity(q: Double): String = java.math.BigDecimal.valueOf(q).stripTrailingZeros().toPlainString()

/** Basis points as a percentage: `5 %`, `12.5 %`. */
fun formatPercentBp(bp: Long): String = "${java.math.BigDecimal.valueOf(bp, 2).stripTrailingZeros().toPlainString()} %"
