// Compose UI tests of the screens over FakeFieldRepository (no server, no native library):
// search, the sync status bar, read-only fields, contact validation and save, a visit from
// check-in to check-out, and compensation notices.
package com.fieldcrm.app

import androidx.compose.ui.test.assertIsDisplayed
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.junit4.createComposeRule
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import com.fieldcrm.app.ui.common.SYNC_STATUS_TAG
import com.fieldcrm.app.ui.contact.ContactEditScreen
import com.fieldcrm.app.ui.contact.ContactEditViewModel
import com.fieldcrm.app.ui.customer.CustomerEditScreen
import com.fieldcrm.app.ui.customer.CustomerEditViewModel
import com.fieldcrm.app.ui.customer.CustomerScreen
import com.fieldcrm.app.ui.customer.CustomerViewModel
import com.fieldcrm.app.ui.customers.CUSTOMER_SEARCH_TAG
import com.fieldcrm.app.ui.customers.CustomerListScreen
import com.fieldcrm.app.ui.customers.CustomerListViewModel
import com.fieldcrm.app.ui.notices.NoticesScreen
import com.fieldcrm.app.ui.notices.NoticesViewModel
import com.fieldcrm.app.ui.visit.CHECK_OUT_TAG
import com.fieldcrm.app.ui.visit.Locator
import com.fieldcrm.app.ui.visit.VisitScreen
import com.fieldcrm.app.ui.visit.VisitViewModel
import com.fieldcrm.kit.GeoFix
import com.fieldcrm.kit.fake.FakeFieldRepository
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class ScreensTest {
    @get:Rule
    val compose = createComposeRule()

    private val context = InstrumentationRegistry.getInstrumentation().targetContext
    private fun s(id: Int, vararg args: Any) = context.getString(id, *args)

    private lateinit var repo: FakeFieldRepository

    /** A position source that needs no permission dialog and no GPS. */
    private val shanghai = object : Locator {
        override fun hasPermission() = true
        override suspend fun fix() = GeoFix(31.2304, 121.4737, 9.0)
    }

    @Before
    fun signIn() {
        repo = FakeFieldRepository()
        repo.signIn()
    }

    @Test
    fun listSearchesAndShowsPendingWorkInTheStatusBar() {
        compose.setContent { CustomerListScreen(CustomerListViewModel(repo), onOpen = {}, onNotices = {}, onLogout = {}) }
        compose.waitUntil(5_000) { compose.onAllNodes(hasText("Harbour Logistics")).fetchSemanticsNodes().isNotEmpty() }
        compose.onNodeWithText("东方电子 Dongfang Electronics").assertIsDisplayed()

        compose.onNodeWithTag(CUSTOMER_SEARCH_TAG).performTextInput("harbour")
        compose.waitUntil(5_000) { compose.onAllNodes(hasText("东方电子 Dongfang Electronics")).fetchSemanticsNodes().isEmpty() }
        compose.onNodeWithText("Harbour Logistics").assertIsDisplayed()

        compose.onNodeWithTag(SYNC_STATUS_TAG).assertIsDisplayed()
        compose.onNodeWithText(s(R.string.sync_all_sent), substring = true).assertIsDisplayed()
        runBlocking { repo.updateCustomer("c-c", mapOf("tier" to "A")) }
        val pending = context.resources.getQuantityString(R.plurals.sync_pending, 1, 1)
        compose.waitUntil(5_000) { compose.onAllNodes(hasText(pending, substring = true)).fetchSemanticsNodes().isNotEmpty() }
    }

    @Test
    fun fieldsTheRoleMayNotWriteAreReadOnly() {
        repo.writable = FakeFieldRepository.REP_WRITABLE - "tier"
        compose.setContent { CustomerEditScreen(CustomerEditViewModel(repo, "c-a"), onDone = {}) }
        compose.waitUntil(5_000) { compose.onAllNodes(hasText("华联超市 Hualian")).fetchSemanticsNodes().isNotEmpty() }
        compose.onNodeWithTag("field-tier").assertIsNotEnabled()
        compose.onNodeWithTag("field-owner").assertIsNotEnabled()
        compose.onNodeWithTag("field-territory").assertIsNotEnabled()
        compose.onNodeWithTag("field-name").assertIsEnabled()

        compose.onNodeWithTag("field-address.district").performTextClearance()
        compose.onNodeWithTag("field-address.district").performTextInput("静安")
        compose.onNodeWithText(s(R.string.action_save)).performClick()
        compose.waitUntil(5_000) { runBlocking { repo.customer("c-a").address.district } == "静安" }
        assertEquals("A", runBlocking { repo.customer("c-a").tier })
    }

    @Test
    fun contactIsValidatedThenSaved() {
        var done = false
        compose.setContent { ContactEditScreen(ContactEditViewModel(repo, "c-b", null), onDone = { done = true }) }
        compose.onNodeWithTag("contact-email").performTextInput("not-an-email")
        compose.onNodeWithText(s(R.string.action_save)).performClick()
        compose.onNodeWithText(s(R.string.problem_name_required)).assertIsDisplayed()

        compose.onNodeWithTag("contact-name").performTextInput("赵敏 Zhao Min")
        compose.onNodeWithText(s(R.string.action_save)).performClick()
        compose.onNodeWithText(s(R.string.problem_email_invalid)).assertIsDisplayed()

        compose.onNodeWithTag("contact-email").performTextClearance()
        compose.onNodeWithTag("contact-email").performTextInput("zhaomin@example.com")
        compose.onNodeWithTag("contact-phones").performTextInput("13700000000, 021-6666")
        compose.onNodeWithText(s(R.string.action_save)).performClick()
        compose.waitUntil(5_000) { done }
        val saved = runBlocking { repo.customer("c-b").contacts.single() }
        assertEquals("赵敏 Zhao Min", saved.name)
        assertEquals(listOf("13700000000", "021-6666"), saved.phones)
    }

    @Test
    fun visitFromCheckInToCheckOut() {
        var opened: String? = null
        compose.setContent {
            CustomerScreen(
                CustomerViewModel(repo, "c-a"),
                onBack = {}, onEdit = {}, onAddContact = {}, onEditContact = {},
                onOpenVisit = { opened = it },
                locator = shanghai,
            )
        }
        compose.onNodeWithText(s(R.string.visit_check_in)).performClick()
        compose.waitUntil(5_000) { opened != null }
        val visitId = opened!!
        assertEquals(31.2304, runBlocking { repo.visit(visitId).checkIn?.lat })

        compose.setContent { VisitScreen(VisitViewModel(repo, visitId), onBack = {}, locator = shanghai) }
        compose.waitUntil(5_000) { compose.onAllNodes(hasText(s(R.string.visit_check_out))).fetchSemanticsNodes().isNotEmpty() }
        compose.onNodeWithTag("visit-notes").performTextInput("见了采购 met the buyer")
        compose.onNodeWithTag("visit-outcome").performTextInput("下周下单")
        runBlocking { repo.addVisitPhoto(visitId, byteArrayOf(1, 2, 3), "image/jpeg", "门头") }
        compose.onNodeWithTag(CHECK_OUT_TAG).performClick()
        compose.waitUntil(5_000) { runBlocking { repo.visit(visitId).checkOut } != null }
        val v = runBlocking { repo.visit(visitId) }
        assertEquals("下周下单", v.outcome)
        assertEquals("见了采购 met the buyer", v.notes)
        assertNotNull(v.checkOut?.lat)
        compose.onNodeWithText(s(R.string.visit_photos, 1)).assertIsDisplayed()
    }

    @Test
    fun compensatedEditShowsANotice() {
        repo.writable = FakeFieldRepository.REP_WRITABLE
        runBlocking {
            repo.updateCustomer("c-a", mapOf("owner" to "someone-else"))
            val report = repo.syncNow()
            assertTrue(report.compensated == 1L)
        }
        assertEquals("u-1", runBlocking { repo.customer("c-a").owner })
        compose.setContent { NoticesScreen(NoticesViewModel(repo), onBack = {}, onOpenCustomer = {}) }
        compose.waitUntil(5_000) { compose.onAllNodes(hasText(s(R.string.notice_compensated))).fetchSemanticsNodes().isNotEmpty() }
        compose.onNodeWithText("owner", substring = true).assertIsDisplayed()
    }
}
