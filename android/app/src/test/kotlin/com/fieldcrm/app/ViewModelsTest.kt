// JVM unit tests of the view models over FakeFieldRepository (./gradlew :app:testDebugUnitTest).
package com.fieldcrm.app

import com.fieldcrm.app.ui.contact.ContactEditViewModel
import com.fieldcrm.app.ui.customer.CustomerEditViewModel
import com.fieldcrm.app.ui.dispatch.DispatchListViewModel
import com.fieldcrm.app.ui.dispatch.DispatchViewModel
import com.fieldcrm.app.ui.login.LoginUiState
import com.fieldcrm.app.ui.login.LoginViewModel
import com.fieldcrm.app.ui.order.OrderEntryViewModel
import com.fieldcrm.kit.DispatchStatus
import com.fieldcrm.kit.DispatchStep
import com.fieldcrm.kit.DraftProblem
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.GeoFix
import com.fieldcrm.kit.OrderLineProblem
import com.fieldcrm.kit.OrderStatus
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
import org.junit.Assert.assertNull
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

    @Test
    fun aNewDispatchArrivesInTheList() = runTest {
        repo.signIn("engineer", role = "engineer")
        val vm = DispatchListViewModel(repo)
        assertTrue(vm.ui.value.dispatches.isEmpty())
        val id = repo.deliverDispatch()
        assertEquals(listOf(id), vm.ui.value.open.map { it.id })
        assertEquals(DispatchStatus.ASSIGNED, vm.ui.value.open.single().status)
    }

    @Test
    fun theButtonsFollowTheDispatchStepsToCompletion() = runTest {
        repo.signIn("engineer", role = "engineer")
        val id = repo.deliverDispatch()
        val vm = DispatchViewModel(repo, id)
        assertEquals(setOf(DispatchStep.ACCEPT), vm.ui.value.dispatch?.steps)
        assertFalse(vm.ui.value.can(DispatchStep.COMPLETE))
        vm.complete()
        assertTrue(vm.ui.value.error is FieldError.Forbidden)

        vm.accept()
        vm.enRoute()
        vm.checkIn(GeoFix(31.2304, 121.4737, 8.0))
        assertEquals(DispatchStatus.ON_SITE, vm.ui.value.dispatch?.status)
        assertTrue(vm.ui.value.needsSignature)
        assertFalse(vm.ui.value.can(DispatchStep.COMPLETE))
        vm.onLogText("更换继电器 replaced the relay")
        vm.addLog()
        assertEquals("", vm.ui.value.logText)
        vm.addPart("p-2", 1.0, "RL-1, RL-2")
        vm.sign(byteArrayOf(0x89.toByte(), 0x50, 0x4e, 0x47))
        assertFalse(vm.ui.value.needsSignature)
        assertTrue(vm.ui.value.can(DispatchStep.COMPLETE))
        vm.complete()
        vm.survey(5, "很好")
        val done = vm.ui.value.dispatch!!
        assertEquals(DispatchStatus.COMPLETED, done.status)
        assertEquals(listOf("RL-1", "RL-2"), done.parts.single().serials)
        assertEquals(5, done.survey?.score)
        assertNull(vm.ui.value.error)
        assertEquals(1L, repo.syncState.value.pendingChanges)
        assertEquals(1L, repo.syncState.value.pendingUploads)
    }

    @Test
    fun anOrderIsEnteredLineByLineAndSubmitted() = runTest {
        repo.signIn()
        val vm = OrderEntryViewModel(repo, "c-a", repo.catalog)
        assertEquals("华联超市 Hualian", vm.ui.value.customerName)
        assertFalse(vm.ui.value.canSave)
        vm.onProductQuery("relay")
        assertEquals(listOf("p-2"), vm.ui.value.productResults.map { it.id })
        vm.pickProduct(vm.ui.value.productResults.single())
        vm.onQuantity("0")
        vm.addLine()
        assertEquals(OrderLineProblem.QUANTITY_INVALID, vm.ui.value.lineProblem)
        vm.onQuantity("2")
        vm.onDiscount("15")
        vm.addLine()
        assertEquals(1_500L, vm.ui.value.lines.single().discountBp)
        vm.onProductId("")
        vm.addLine()
        assertEquals(OrderLineProblem.PRODUCT_REQUIRED, vm.ui.value.lineProblem)
        vm.save(submit = true)
        val id = vm.ui.value.savedOrderId!!
        assertEquals(OrderStatus.SUBMITTED, repo.order(id).status)

        repo.syncNow()
        val priced = repo.order(id)
        assertEquals("SO-2026-000001", priced.number)
        assertEquals(FakeFieldRepository.MAX_DISCOUNT_BP, priced.lines.single().discountBp)
        assertEquals(15_300L, priced.total)
    }
}
