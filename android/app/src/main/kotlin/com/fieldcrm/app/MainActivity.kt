// The single activity: opens the repository, then shows the app (login or customers).
package com.fieldcrm.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import com.fieldcrm.app.ui.FieldCrmApp
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.theme.FieldCrmTheme
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository

/** Hosts the Compose UI. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val container = (application as FieldCrmApplication).container
        setContent {
            FieldCrmTheme {
                Surface(Modifier.fillMaxSize()) { Root(container) }
            }
        }
    }
}

private sealed interface Opening {
    data object Loading : Opening
    data class Ready(val repo: FieldRepository, val signedIn: Boolean) : Opening
    data class Failed(val error: FieldError) : Opening
}

@Composable
private fun Root(container: AppContainer) {
    val opening by produceState<Opening>(Opening.Loading, container) {
        value = try {
            val repo = container.repository()
            val signedIn = repo.session() != null
            if (signedIn) runCatching { repo.refreshState() }
            Opening.Ready(repo, signedIn)
        } catch (e: FieldError) {
            Opening.Failed(e)
        }
    }
    when (val o = opening) {
        Opening.Loading -> Centered { CircularProgressIndicator() }
        is Opening.Failed -> Centered {
            Text(stringResource(R.string.error_store_open), style = MaterialTheme.typography.titleMedium)
            Text(errorText(o.error))
        }
        is Opening.Ready -> FieldCrmApp(o.repo, o.signedIn)
    }
}

@Composable
private fun Centered(content: @Composable () -> Unit) {
    Column(
        Modifier.fillMaxSize().padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp, Alignment.CenterVertically),
        horizontalAlignment = Alignment.CenterHorizontally,
    ) { content() }
}
