// Conversions between the generated uniffi records and the kit's models. The only file besides
// UniffiFieldRepository that names generated types.
package com.fieldcrm.kit.uniffi

import com.fieldcrm.kit.Address
import com.fieldcrm.kit.CheckPoint
import com.fieldcrm.kit.Dispatch
import com.fieldcrm.kit.DispatchStatus
import com.fieldcrm.kit.DispatchStep
import com.fieldcrm.kit.DispatchSummary
import com.fieldcrm.kit.Order
import com.fieldcrm.kit.OrderLine
import com.fieldcrm.kit.OrderLineDraft
import com.fieldcrm.kit.OrderStatus
import com.fieldcrm.kit.OrderStep
import com.fieldcrm.kit.OrderSummary
import com.fieldcrm.kit.PartUsed
import com.fieldcrm.kit.Site
import com.fieldcrm.kit.Survey
import com.fieldcrm.kit.WorkLogEntry
import com.fieldcrm.kit.Contact
import com.fieldcrm.kit.ContactDraft
import com.fieldcrm.kit.Customer
import com.fieldcrm.kit.CustomerKind
import com.fieldcrm.kit.CustomerSummary
import com.fieldcrm.kit.FieldError
import com.fieldcrm.kit.Notice
import com.fieldcrm.kit.NoticeKind
import com.fieldcrm.kit.SyncSummary
import com.fieldcrm.kit.SyncUpdate
import com.fieldcrm.kit.UserSession
import com.fieldcrm.kit.Visit
import com.fieldcrm.kit.VisitPhoto
import com.fieldcrm.kit.VisitSummary
import uniffi.fieldcrm_mobile.CheckPointRecord
import uniffi.fieldcrm_mobile.ContactInput
import uniffi.fieldcrm_mobile.CustomerRecord
import uniffi.fieldcrm_mobile.DispatchRecord
import uniffi.fieldcrm_mobile.OrderLineInput
import uniffi.fieldcrm_mobile.OrderLineRecord
import uniffi.fieldcrm_mobile.OrderRecord
import uniffi.fieldcrm_mobile.FieldException
import uniffi.fieldcrm_mobile.PhotoRecord
import uniffi.fieldcrm_mobile.Session
import uniffi.fieldcrm_mobile.SyncEvent
import uniffi.fieldcrm_mobile.SyncReport
import uniffi.fieldcrm_mobile.VisitRecord
import uniffi.fieldcrm_mobile.Contact as FfiContact
import uniffi.fieldcrm_mobile.CustomerKind as FfiCustomerKind
import uniffi.fieldcrm_mobile.CustomerSummary as FfiCustomerSummary
import uniffi.fieldcrm_mobile.DispatchStatus as FfiDispatchStatus
import uniffi.fieldcrm_mobile.DispatchStep as FfiDispatchStep
import uniffi.fieldcrm_mobile.DispatchSummary as FfiDispatchSummary
import uniffi.fieldcrm_mobile.Notice as FfiNotice
import uniffi.fieldcrm_mobile.NoticeKind as FfiNoticeKind
import uniffi.fieldcrm_mobile.OrderStatus as FfiOrderStatus
import uniffi.fieldcrm_mobile.OrderStep as FfiOrderStep
import uniffi.fieldcrm_mobile.OrderSummary as FfiOrderSummary
import uniffi.fieldcrm_mobile.VisitSummary as FfiVisitSummary

internal fun ULong.clampToLong(): Long = if (this > Long.MAX_VALUE.toULong()) Long.MAX_VALUE else toLong()

internal fun FieldException.toFieldError(): FieldError = when (this) {
    is FieldException.Offline -> FieldError.Offline(reason, this)
    is FieldException.Unauthorized -> FieldError.Unauthorized(reason, this)
    is FieldException.Forbidden -> FieldError.Forbidden(reason, this)
    is FieldException.NotFound -> FieldError.NotFound(reason, this)
    is FieldException.InvalidInput -> FieldError.InvalidInput(reason, this)
    is FieldException.Internal -> FieldError.Internal(reason, this)
}

internal fun Session.toModel() = UserSession(
    serverUrl = serverUrl,
    userId = userId,
    username = username,
    displayName = displayName,
    role = role,
    deviceId = deviceId,
)

internal fun FfiCustomerSummary.toModel() = CustomerSummary(
    id = id,
    name = name,
    code = code,
    tier = tier,
    industry = industry,
    city = city,
    district = district,
    phones = phones,
    email = email,
    contacts = contacts,
    pending = pending,
    updatedAt = updatedAt,
)

internal fun FfiContact.toModel() = Contact(
    id = id,
    name = name,
    title = title,
    department = department,
    phones = phones,
    email = email,
    role = role,
    primary = primary,
    notes = notes,
)

internal fun ContactDraft.toInput() = ContactInput(
    name = name.trim(),
    title = title.trim(),
    department = department.trim(),
    phones = phones.map { it.trim() }.filter { it.isNotEmpty() },
    email = email.trim(),
    role = role.trim(),
    primary = primary,
    notes = notes,
)

internal fun CustomerRecord.toModel() = Customer(
    id = id,
    code = code,
    name = name,
    kind = when (kind) {
        FfiCustomerKind.COMPANY -> CustomerKind.COMPANY
        FfiCustomerKind.PERSON -> CustomerKind.PERSON
    },
    tier = tier,
    industry = industry,
    source = source,
    phones = phones,
    email = email,
    address = Address(
        province = address.province,
        city = address.city,
        district = address.district,
        street = address.street,
        zip = address.zip,
        lat = address.lat,
        lon = address.lon,
    ),
    tags = tags,
    birthday = birthday,
    interests = interests,
    contacts = contacts.map { it.toModel() },
    custom = custom,
    notes = notes,
    territory = territory,
    owner = owner,
)

internal fun FfiVisitSummary.toModel() = VisitSummary(
    id = id,
    customerId = customerId,
    customerName = customerName,
    checkInAt = checkInAt,
    checkOutAt = checkOutAt,
    purpose = purpose,
    outcome = outcome,
    photoCount = photoCount.toInt(),
    pending = pending,
)

internal fun CheckPointRecord.toModel() = CheckPoint(at = at, lat = lat, lon = lon, accuracyM = accuracyM)

internal fun PhotoRecord.toModel() = VisitPhoto(
    sha256 = sha256,
    contentType = contentType,
    takenAt = takenAt,
    caption = caption,
    uploaded = uploaded,
    localPath = localPath,
)

internal fun VisitRecord.toModel() = Visit(
    id = id,
    customerId = customerId,
    repId = repId,
    checkIn = checkIn?.toModel(),
    checkOut = checkOut?.toModel(),
    purpose = purpose,
    outcome = outcome,
    notes = notes,
    nextStep = nextStep,
    photos = photos.map { it.toModel() },
)

internal fun FfiNotice.toModel() = Notice(
    id = id,
    at = at,
    kind = when (kind) {
        FfiNoticeKind.COMPENSATED -> NoticeKind.COMPENSATED
        FfiNoticeKind.REJECTED -> NoticeKind.REJECTED
        FfiNoticeKind.REVOKED -> NoticeKind.REVOKED
        FfiNoticeKind.ERROR -> NoticeKind.ERROR
    },
    docId = docId,
    message = message,
    seen = seen,
)

internal fun SyncReport.toModel() = SyncSummary(
    docsReceived = docsReceived.clampToLong(),
    pushed = pushed.clampToLong(),
    accepted = accepted.clampToLong(),
    compensated = compensated.clampToLong(),
    rejected = rejected.clampToLong(),
    revoked = revoked.clampToLong(),
)

internal fun SyncEvent.toModel(): SyncUpdate = when (this) {
    is SyncEvent.Connected -> SyncUpdate.Connected
    is SyncEvent.Disconnected -> SyncUpdate.Disconnected(error)
    is SyncEvent.DocsReceived -> SyncUpdate.DocsReceived(count.clampToLong())
    is SyncEvent.Compensated -> SyncUpdate.Compensated(doc, paths)
    is SyncEvent.Rejected -> SyncUpdate.Rejected(doc, reason)
    is SyncEvent.Revoked -> SyncUpdate.Revoked(docs)
    is SyncEvent.Arrived -> SyncUpdate.Arrived(kind, docs)
    is SyncEvent.CaughtUp -> SyncUpdate.CaughtUp(cursor.clampToLong())
    is SyncEvent.UploadsFinished -> SyncUpdate.UploadsFinished(uploaded.clampToLong(), failed.clampToLong())
}

internal fun FfiOrderStatus.toModel(): OrderStatus = when (this) {
    FfiOrderStatus.DRAFT -> OrderStatus.DRAFT
    FfiOrderStatus.SUBMITTED -> OrderStatus.SUBMITTED
    FfiOrderStatus.CONFIRMED -> OrderStatus.CONFIRMED
    FfiOrderStatus.PARTIALLY_SHIPPED -> OrderStatus.PARTIALLY_SHIPPED
    FfiOrderStatus.SHIPPED -> OrderStatus.SHIPPED
    FfiOrderStatus.COMPLETED -> OrderStatus.COMPLETED
    FfiOrderStatus.CANCELLED -> OrderStatus.CANCELLED
}

internal fun FfiOrderStep.toModel(): OrderStep = when (this) {
    FfiOrderStep.SUBMIT -> OrderStep.SUBMIT
    FfiOrderStep.CANCEL -> OrderStep.CANCEL
    FfiOrderStep.EDIT_LINES -> OrderStep.EDIT_LINES
}

internal fun FfiOrderSummary.toModel() = OrderSummary(
    id = id,
    customerId = customerId,
    customerName = customerName,
    number = number,
    status = status.toModel(),
    currency = currency,
    total = total,
    lineCount = lineCount.toInt(),
    pending = pending,
    updatedAt = updatedAt,
)

internal fun OrderLineDraft.toInput() = OrderLineInput(
    productId = productId.trim(),
    quantity = quantity,
    discountBp = discountBp,
    requestedDelivery = requestedDelivery?.trim()?.ifEmpty { null },
    notes = notes,
)

internal fun OrderLineRecord.toModel() = OrderLine(
    id = id,
    productId = productId,
    productCode = productCode,
    productName = productName,
    unit = unit,
    quantity = quantity,
    discountBp = discountBp,
    requestedDelivery = requestedDelivery,
    notes = notes,
    unitPrice = unitPrice,
    lineTotal = lineTotal,
    problem = problem,
    shippedQuantity = shippedQuantity,
    lots = lots,
)

internal fun OrderRecord.toModel() = Order(
    id = id,
    customerId = customerId,
    number = number,
    status = status.toModel(),
    repId = repId,
    lines = lines.map { it.toModel() },
    notes = notes,
    cancelReason = cancelReason,
    currency = currency,
    subtotal = subtotal,
    discountTotal = discountTotal,
    total = total,
    steps = steps.mapTo(LinkedHashSet()) { it.toModel() },
)

internal fun FfiDispatchStatus.toModel(): DispatchStatus = when (this) {
    FfiDispatchStatus.ASSIGNED -> DispatchStatus.ASSIGNED
    FfiDispatchStatus.ACCEPTED -> DispatchStatus.ACCEPTED
    FfiDispatchStatus.EN_ROUTE -> DispatchStatus.EN_ROUTE
    FfiDispatchStatus.ON_SITE -> DispatchStatus.ON_SITE
    FfiDispatchStatus.COMPLETED -> DispatchStatus.COMPLETED
    FfiDispatchStatus.UNABLE -> DispatchStatus.UNABLE
    FfiDispatchStatus.CANCELLED -> DispatchStatus.CANCELLED
}

internal fun FfiDispatchStep.toModel(): DispatchStep = when (this) {
    FfiDispatchStep.ACCEPT -> DispatchStep.ACCEPT
    FfiDispatchStep.EN_ROUTE -> DispatchStep.EN_ROUTE
    FfiDispatchStep.CHECK_IN -> DispatchStep.CHECK_IN
    FfiDispatchStep.LOG -> DispatchStep.LOG
    FfiDispatchStep.ADD_PART -> DispatchStep.ADD_PART
    FfiDispatchStep.ADD_PHOTO -> DispatchStep.ADD_PHOTO
    FfiDispatchStep.SIGN -> DispatchStep.SIGN
    FfiDispatchStep.COMPLETE -> DispatchStep.COMPLETE
    FfiDispatchStep.UNABLE -> DispatchStep.UNABLE
    FfiDispatchStep.SURVEY -> DispatchStep.SURVEY
}

internal fun FfiDispatchSummary.toModel() = DispatchSummary(
    id = id,
    ticketType = ticketType,
    priority = priority,
    status = status.toModel(),
    customerName = customerName,
    address = address,
    scheduledAt = scheduledAt,
    slaDueAt = slaDueAt,
    pending = pending,
    updatedAt = updatedAt,
)

internal fun DispatchRecord.toModel() = Dispatch(
    id = id,
    ticketId = ticketId,
    customerId = customerId,
    engineerId = engineerId,
    ticketType = ticketType,
    priority = priority,
    description = description,
    productSerial = productSerial,
    slaDueAt = slaDueAt,
    site = Site(
        customerName = site.customerName,
        address = site.address,
        lat = site.lat,
        lon = site.lon,
        contactName = site.contactName,
        contactPhone = site.contactPhone,
    ),
    scheduledAt = scheduledAt,
    status = status.toModel(),
    checkIn = checkIn?.toModel(),
    workLog = workLog.map { WorkLogEntry(it.id, it.at, it.text) },
    parts = parts.map { PartUsed(it.id, it.productId, it.quantity, it.serials) },
    photos = photos.map { it.toModel() },
    signature = signature?.toModel(),
    completedAt = completedAt,
    unableReason = unableReason,
    survey = survey?.let { Survey(it.score.toInt(), it.comment, it.at) },
    steps = steps.mapTo(LinkedHashSet()) { it.toModel() },
)
