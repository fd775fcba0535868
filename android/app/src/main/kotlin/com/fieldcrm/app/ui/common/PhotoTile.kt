// A photo thumbnail with its upload state (visits, dispatches, a dispatch's signature).
package com.fieldcrm.app.ui.common

import android.graphics.Bitmap
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.CloudDone
import androidx.compose.material.icons.filled.CloudUpload
import androidx.compose.material.icons.filled.Image
import androidx.compose.material3.Card
import androidx.compose.material3.Icon
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.Dp
import androidx.compose.ui.unit.dp
import com.fieldcrm.app.R
import com.fieldcrm.app.ui.visit.thumbnail
import com.fieldcrm.kit.VisitPhoto

/** A square tile: the local file's thumbnail (or an icon), and a cloud badge for the upload state. */
@Composable
fun PhotoTile(photo: VisitPhoto, side: Dp = 120.dp, contentScale: ContentScale = ContentScale.Crop) {
    val bitmap by produceState<Bitmap?>(null, photo.localPath) { value = photo.localPath?.let { thumbnail(it) } }
    Card(Modifier.size(side)) {
        Box(Modifier.fillMaxSize()) {
            val b = bitmap
            if (b != null) {
                Image(b.asImageBitmap(), contentDescription = photo.caption, contentScale = contentScale, modifier = Modifier.fillMaxSize())
            } else {
                Icon(Icons.Filled.Image, contentDescription = photo.caption, modifier = Modifier.align(Alignment.Center).size(48.dp))
            }
            Row(Modifier.align(Alignment.BottomEnd).padding(4.dp)) {
                Icon(
                    if (photo.uploaded) Icons.Filled.CloudDone else Icons.Filled.CloudUpload,
                    contentDescription = stringResource(if (photo.uploaded) R.string.photo_uploaded else R.string.photo_waiting),
                    modifier = Modifier.size(18.dp),
                )
            }
        }
    }
}
