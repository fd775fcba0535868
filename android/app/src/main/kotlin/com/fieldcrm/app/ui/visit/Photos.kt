// Camera photos for visits: a FileProvider URI for the TakePicture contract, then the file read
// back and re-encoded as a JPEG of at most 1600 px on the long side (a 12 MP original is ~5 MB;
// this is ~300 KB and plenty for a storefront or a shelf), with the EXIF orientation applied.
package com.fieldcrm.app.ui.visit

import android.content.Context
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.Matrix
import android.net.Uri
import androidx.core.content.FileProvider
import androidx.exifinterface.media.ExifInterface
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.IOException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

private const val MAX_SIDE = 1600
private const val QUALITY = 85

/** A fresh file in the cache for the camera to write into, and its content URI. */
fun newPhotoTarget(context: Context): Pair<File, Uri> {
    val dir = File(context.cacheDir, "visit-photos").apply { mkdirs() }
    val file = File.createTempFile("visit-", ".jpg", dir)
    return file to FileProvider.getUriForFile(context, "${context.packageName}.photos", file)
}

/** The photo in `file` as upright JPEG bytes of at most [MAX_SIDE] px; deletes the file. Null if unreadable. */
suspend fun compressPhoto(file: File): ByteArray? = withContext(Dispatchers.IO) {
    try {
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        BitmapFactory.decodeFile(file.path, bounds)
        if (bounds.outWidth <= 0 || bounds.outHeight <= 0) return@withContext null
        var sample = 1
        while (maxOf(bounds.outWidth, bounds.outHeight) / (sample * 2) >= MAX_SIDE) sample *= 2
        val decoded = BitmapFactory.decodeFile(file.path, BitmapFactory.Options().apply { inSampleSize = sample })
            ?: return@withContext null
        val scale = MAX_SIDE.toFloat() / maxOf(decoded.width, decoded.height)
        val matrix = Matrix().apply {
            if (scale < 1f) postScale(scale, scale)
            postRotate(rotationDegrees(file).toFloat())
        }
        val upright = Bitmap.createBitmap(decoded, 0, 0, decoded.width, decoded.height, matrix, true)
        val out = ByteArrayOutputStream()
        upright.compress(Bitmap.CompressFormat.JPEG, QUALITY, out)
        if (upright !== decoded) upright.recycle()
        decoded.recycle()
        out.toByteArray()
    } catch (e: IOException) {
        null
    } finally {
        file.delete()
    }
}

private fun rotationDegrees(file: File): Int =
    when (ExifInterface(file.path).getAttributeInt(ExifInterface.TAG_ORIENTATION, ExifInterface.ORIENTATION_NORMAL)) {
        ExifInterface.ORIENTATION_ROTATE_90 -> 90
        ExifInterface.ORIENTATION_ROTATE_180 -> 180
        ExifInterface.ORIENTATION_ROTATE_270 -> 270
        else -> 0
    }

/** A small thumbnail of a stored photo file, or null. */
suspend fun thumbnail(path: String, side: Int = 256): Bitmap? = withContext(Dispatchers.IO) {
    val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
    BitmapFactory.decodeFile(path, bounds)
    if (bounds.outWidth <= 0) return@withContext null
    var sample = 1
    while (maxOf(bounds.outWidth, bounds.outHeight) / (sample * 2) >= side) sample *= 2
    BitmapFactory.decodeFile(path, BitmapFactory.Options().apply { inSampleSize = sample })
}
