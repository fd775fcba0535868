// The single activity: opens the repository, then shows the app (login, customers or, for an
// engineer, the jobs); opens the job a notification was tapped for.
package com.fieldcrm.app

import android.content.Intent
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
import com.fieldcrm.app.sync.DispatchNotifier
import com.fieldcrm.app.ui.FieldCrmApp
import com.fieldcrm.app.ui.common.errorText
import com.fieldcrm.app.ui.theme.FieldCrmTheme
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.FieldRepository
import com.fieldcrm.kit.UserSession
import kotlinx.coroutines.flow.MutableStateFlow

/** Hosts the Compose UI; a notification's dispatch id (in the launching intent) opens that job. */
class MainActivity : ComponentActivity() {
    private val openDispatch = MutableStateFlow<String?>(null)

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        if (savedInstanceState == null) openDispatch.value = intent.getStringExtra(DispatchNotifier.EXTRA_DISPATCH_ID)
        val container = (application as FieldCrmApplication).container
        setContent {
            FieldCrmTheme {
                Surface(Modifier.fillMaxSize()) { Root(container, openDispatch) }
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        intent.getStringExtra(DispatchNotifier.EXTRA_DISPATCH_ID)?.let { openDispatch.value = it }
    }
}

private sealed interface Opening {
    data object Loading : Opening
    data class Ready(val repo: FieldRepository, val session: UserSession?) : Opening
    data class Failed(val error: FieldError) : Opening
}

@Composable
private fun Root(container: AppContainer, openDispatch: MutableStateFlow<String?>) {
    val opening by produceState<Opening>(Opening.Loading, container) {
        value = try {
            val repo = container.repository()
            val session = repo.session()
            if (session != null) runCatching { repo.refreshState() }
            Opening.Ready(repo, session)
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
        is Opening.Ready -> FieldCrmApp(o.repo, o.session, openDispatch)
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
