// JVM unit tests of the view models over FakeFieldRepository (./gradlew :app:testDebugUnitTest).
package com.fieldcrm.app

import com.fieldcrm.app.ui.contact.ContactEditViewModel
import com.fieldcrm.app.ui.customer.CustomerEditViewModel
import com.fieldcrm.app.ui.login.LoginUiState
import com.fieldcrm.app.ui.login.LoginViewModel
import com.fieldcrm.kit.DraftProblem
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.fake.FakeFieldRepository
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.test.UnconfinedTestDispatcher
import kotlinx.coroutines.test.resetMain
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.test.setMain
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test

@OptIn(ExperimentalCoroutinesApi::class)
class ViewModelsTest {
    private val repo = FakeFieldRepository()

    @Before
    fun main() = Dispatchers.setMain(UnconfinedTestDispatcher())

    @After
    fun reset() = Dispatchers.resetMain()

    @Test
    fun loginRefusesAWrongPasswordThenSignsInSyncsAndGoesLive() = runTest {
        val vm = LoginViewModel(repo, "test device")
        vm.onServerUrl("http://crm.example.com")
        vm.onUsername("rep.sh")
        vm.onPassword("wrong")
        vm.submit()
        assertEquals(LoginUiState.Step.FORM, vm.ui.value.step)
        assertTrue(vm.ui.value.error is FieldError.Unauthorized)
        assertEquals("", vm.ui.value.password)

        vm.onPassword("demo")
        vm.submit()
        assertEquals(LoginUiState.Step.DONE, vm.ui.value.step)
        assertFalse(vm.ui.value.firstSyncSkipped)
        assertEquals(1, repo.syncCount)
        assertTrue(repo.isLive)
    }

    @Test
    fun readOnlyFieldsCannotBeChangedAndOnlyChangesAreSent() = runTest {
        repo.signIn()
        repo.writable = FakeFieldRepository.REP_WRITABLE - "tier"
        val vm = CustomerEditViewModel(repo, "c-a")
        assertFalse(vm.ui.value.rows.first { it.field == "tier" }.writable)
        vm.onChange("tier", "C")
        assertEquals("A", vm.ui.value.rows.first { it.field == "tier" }.value)
        assertFalse(vm.ui.value.canSave)
        vm.onChange("address.district", "静安")
        vm.save()
        assertTrue(vm.ui.value.saved)
        assertEquals("静安", repo.customer("c-a").address.district)
        assertEquals("A", repo.customer("c-a").tier)
        assertEquals(1L, repo.syncState.value.pendingChanges)
    }

    @Test
    fun contactDraftIsValidatedBeforeSaving() = runTest {
        repo.signIn()
        val vm = ContactEditViewModel(repo, "c-b", null)
        vm.edit { it.copy(email = "not-an-email") }
        vm.save()
        assertEquals(DraftProblem.NAME_REQUIRED, vm.ui.value.problem)
        vm.edit { it.copy(name = "赵敏") }
        vm.save()
        assertEquals(DraftProblem.EMAIL_INVALID, vm.ui.value.problem)
        vm.edit { it.copy(email = "zhaomin@example.com") }
        vm.onPhones("13700000000， 021-6666")
        vm.save()
        assertTrue(vm.ui.value.saved)
        assertEquals(listOf("13700000000", "021-6666"), repo.customer("c-b").contacts.single().phones)
    }
}
