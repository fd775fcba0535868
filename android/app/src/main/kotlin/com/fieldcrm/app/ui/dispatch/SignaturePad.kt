// The customer signs on the screen with a finger: strokes are kept as points, drawn on a Compose
// canvas, and saved as a PNG (black ink on white) at the pad's pixel size, capped at 1200 px wide.
package com.fieldcrm.app.ui.dispatch

import android.graphics.Bitmap
import android.graphics.Canvas as AndroidCanvas
import android.graphics.Color as AndroidColor
import android.graphics.Paint
import android.graphics.Path as AndroidPath
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.border
import androidx.compose.foundation.gestures.detectDragGestures
import androidx.compose.foundation.gestures.detectTapGestures
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.Stable
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.getValue
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.StrokeCap
import androidx.compose.ui.graphics.StrokeJoin
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.layout.onSizeChanged
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.IntSize
import androidx.compose.ui.unit.dp
import com.fieldcrm.app.R
import java.io.ByteArrayOutputStream

/** Test tag of the signature pad's drawing area. */
const val SIGNATURE_PAD_TAG = "signature-pad"

private const val MAX_WIDTH_PX = 1200

/** The strokes drawn so far (pad coordinates, px) and the pad's size. */
@Stable
class SignatureState {
    /** Finished strokes, each a polyline. */
    val strokes = mutableStateListOf<List<Offset>>()

    /** The stroke under the finger. */
    val current = mutableStateListOf<Offset>()

    /** The pad's size in px (set by layout). */
    var size by mutableStateOf(IntSize.Zero)

    /** Nothing drawn. */
    val isEmpty: Boolean get() = strokes.isEmpty() && current.isEmpty()

    fun clear() {
        strokes.clear()
        current.clear()
    }

    /** The signature as PNG bytes: black strokes of `strokePx` on white; null when empty. */
    fun toPng(strokePx: Float): ByteArray? {
        if (isEmpty || size.width <= 0 || size.height <= 0) return null
        val scale = minOf(1f, MAX_WIDTH_PX.toFloat() / size.width)
        val width = (size.width * scale).toInt().coerceAtLeast(1)
        val height = (size.height * scale).toInt().coerceAtLeast(1)
        val bitmap = Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888)
        val canvas = AndroidCanvas(bitmap)
        canvas.drawColor(AndroidColor.WHITE)
        val paint = Paint().apply {
            color = AndroidColor.BLACK
            style = Paint.Style.STROKE
            strokeWidth = strokePx * scale
            strokeCap = Paint.Cap.ROUND
            strokeJoin = Paint.Join.ROUND
            isAntiAlias = true
        }
        for (stroke in strokes + listOf(current.toList())) {
            if (stroke.isEmpty()) continue
            val path = AndroidPath()
            path.moveTo(stroke[0].x * scale, stroke[0].y * scale)
            // A tap is a dot.
            if (stroke.size == 1) path.lineTo(stroke[0].x * scale + 0.1f, stroke[0].y * scale)
            for (p in stroke.drop(1)) path.lineTo(p.x * scale, p.y * scale)
            canvas.drawPath(path, paint)
        }
        val out = ByteArrayOutputStream()
        bitmap.compress(Bitmap.CompressFormat.PNG, 100, out)
        bitmap.recycle()
        return out.toByteArray()
    }
}

/** The drawing area: white, bordered, `height` tall. */
@Composable
fun SignaturePad(state: SignatureState, modifier: Modifier = Modifier) {
    val ink = Color.Black
    val strokeWidth = with(LocalDensity.current) { 3.dp.toPx() }
    Canvas(
        modifier
            .fillMaxWidth()
            .height(220.dp)
            .background(Color.White)
            .border(1.dp, MaterialTheme.colorScheme.outline)
            .onSizeChanged { state.size = it }
            .pointerInput(state) {
                detectTapGestures(onTap = { state.strokes.add(listOf(it)) })
            }
            .pointerInput(state) {
                detectDragGestures(
                    onDragStart = { state.current.clear(); state.current.add(it) },
                    onDrag = { change, _ -> state.current.add(change.position) },
                    onDragEnd = { state.strokes.add(state.current.toList()); state.current.clear() },
                    onDragCancel = { state.strokes.add(state.current.toList()); state.current.clear() },
                )
            }
            .testTag(SIGNATURE_PAD_TAG),
    ) {
        val style = Stroke(width = strokeWidth, cap = StrokeCap.Round, join = StrokeJoin.Round)
        for (stroke in state.strokes + listOf(state.current.toList())) {
            if (stroke.isEmpty()) continue
            if (stroke.size == 1) {
                drawCircle(ink, radius = strokeWidth / 2, center = stroke[0])
                continue
            }
            val path = Path().apply {
                moveTo(stroke[0].x, stroke[0].y)
                for (p in stroke.drop(1)) lineTo(p.x, p.y)
            }
            drawPath(path, ink, style = style)
        }
    }
}

/** A dialog with the pad: Clear, Cancel, Save (the PNG goes to `onSigned`). */
@Composable
fun SignatureDialog(onDismiss: () -> Unit, onSigned: (ByteArray) -> Unit) {
    val state = remember { SignatureState() }
    val strokePx = with(LocalDensity.current) { 3.dp.toPx() }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.dispatch_signature_title)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(stringResource(R.string.dispatch_signature_hint), style = MaterialTheme.typography.bodySmall)
                SignaturePad(state)
                Row { TextButton(onClick = state::clear, enabled = !state.isEmpty) { Text(stringResource(R.string.dispatch_signature_clear)) } }
            }
        },
        confirmButton = {
            TextButton(onClick = { state.toPng(strokePx)?.let(onSigned) }, enabled = !state.isEmpty) {
                Text(stringResource(R.string.action_save))
            }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.action_cancel)) } },
    )
}
