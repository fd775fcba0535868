// Localization, error texts, formatting, position (CoreLocation), camera (UIImagePickerController),
// and the texts of order and dispatch statuses.
import CoreLocation
import FieldCRMKit
import SwiftUI
import UIKit

/// The localized string for `key` (Localizable.strings), formatted with `args`.
func L(_ key: String, _ args: CVarArg...) -> String {
    let format = NSLocalizedString(key, comment: "")
    return args.isEmpty ? format : String(format: format, locale: .current, arguments: args)
}

/// The localized message for an error; input errors carry the core's reason.
func errorText(_ error: Error) -> String {
    switch error as? FieldError {
    case .offline: return L("error_offline")
    case .unauthorized: return L("error_unauthorized")
    case .forbidden: return L("error_forbidden")
    case .notFound: return L("error_not_found")
    case .invalidInput(let reason): return L("error_invalid_input", reason)
    default: return L("error_internal")
    }
}

/// The localized message for a form problem.
func problemText(_ problem: DraftProblem) -> String {
    switch problem {
    case .nameRequired: return L("problem_name_required")
    case .emailInvalid: return L("problem_email_invalid")
    case .phoneInvalid: return L("problem_phone_invalid")
    }
}

/// Short date and time in the user's locale.
func formatDateTime(_ unixMs: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(unixMs) / 1000).formatted(date: .numeric, time: .shortened)
}

/// "31.23012, 121.47011 (±8 m)".
func formatPosition(_ point: CheckPoint) -> String? {
    guard let lat = point.lat, let lon = point.lon else { return nil }
    let acc = point.accuracyM.map { " (±\(Int($0)) m)" } ?? ""
    return String(format: "%.5f, %.5f", lat, lon) + acc
}

/// Where check-in/out positions come from (tests pass a fixed one).
protocol Locator {
    func fix() async -> GeoFix?
}

/// One fresh CoreLocation fix; asks for when-in-use permission the first time. Nil when denied,
/// off, or no fix within the timeout: the visit is recorded without a position.
final class DeviceLocator: NSObject, Locator, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private var continuation: CheckedContinuation<GeoFix?, Never>?

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
    }

    @MainActor
    func fix() async -> GeoFix? {
        if manager.authorizationStatus == .denied || manager.authorizationStatus == .restricted { return nil }
        return await withCheckedContinuation { (c: CheckedContinuation<GeoFix?, Never>) in
            continuation = c
            if manager.authorizationStatus == .notDetermined {
                manager.requestWhenInUseAuthorization()
            } else {
                manager.requestLocation()
            }
            DispatchQueue.main.asyncAfter(deadline: .now() + 15) { [weak self] in self?.finish(nil) }
        }
    }

    private func finish(_ fix: GeoFix?) {
        continuation?.resume(returning: fix)
        continuation = nil
    }

    func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        guard continuation != nil else { return }
        switch manager.authorizationStatus {
        case .authorizedWhenInUse, .authorizedAlways: manager.requestLocation()
        case .denied, .restricted: finish(nil)
        default: break
        }
    }

    func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let l = locations.last else { return }
        finish(GeoFix(lat: l.coordinate.latitude, lon: l.coordinate.longitude, accuracyM: l.horizontalAccuracy >= 0 ? l.horizontalAccuracy : nil))
    }

    func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        finish(nil)
    }
}

/// The camera (UIImagePickerController); returns upright JPEG bytes of at most 1600 px.
struct CameraPicker: UIViewControllerRepresentable {
    let onPhoto: (Data) -> Void
    @Environment(\.dismiss) private var dismiss

    static var isAvailable: Bool { UIImagePickerController.isSourceTypeAvailable(.camera) }

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = .camera
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(self) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let parent: CameraPicker
        init(_ parent: CameraPicker) { self.parent = parent }

        func imagePickerController(_ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            if let image = info[.originalImage] as? UIImage, let data = jpeg(image) { parent.onPhoto(data) }
            parent.dismiss()
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { parent.dismiss() }
    }
}

/// Draws `image` upright into at most 1600 px on its long side and encodes it as JPEG (q 0.85).
func jpeg(_ image: UIImage, maxSide: CGFloat = 1600) -> Data? {
    let scale = min(1, maxSide / max(image.size.width, image.size.height))
    let size = CGSize(width: image.size.width * scale, height: image.size.height * scale)
    let format = UIGraphicsImageRendererFormat()
    format.scale = 1
    let resized = UIGraphicsImageRenderer(size: size, format: format).image { _ in image.draw(in: CGRect(origin: .zero, size: size)) }
    return resized.jpegData(compressionQuality: 0.85)
}

// MARK: - Orders and dispatches

/// Minor units (fen) as money in the user's locale: "¥1,234.50"; a bare number without a currency.
func formatMoney(_ minor: Int64, currency: String) -> String {
    let amount = Decimal(minor) / 100
    if currency.isEmpty { return amount.formatted(.number.precision(.fractionLength(2))) }
    return amount.formatted(.currency(code: currency))
}

/// A quantity without trailing zeros: "3", "0.5", "1.125".
func formatQuantity(_ q: Double) -> String {
    q.formatted(.number.precision(.fractionLength(0...3)).grouping(.never))
}

/// Basis points as a percentage: "5 %", "12.5 %".
func formatPercentBp(_ bp: Int64) -> String {
    "\((Decimal(bp) / 100).formatted(.number.precision(.fractionLength(0...2)))) %"
}

/// The localized message for an order line problem.
func lineProblemText(_ problem: OrderLineProblem) -> String {
    switch problem {
    case .productRequired: return L("problem_product_required")
    case .quantityInvalid: return L("problem_quantity_invalid")
    case .discountInvalid: return L("problem_discount_invalid")
    case .dateInvalid: return L("problem_date_invalid")
    }
}

/// "Assigned", "On site", …
func statusText(_ status: DispatchStatus) -> String {
    switch status {
    case .assigned: return L("dispatch_status_assigned")
    case .accepted: return L("dispatch_status_accepted")
    case .enRoute: return L("dispatch_status_en_route")
    case .onSite: return L("dispatch_status_on_site")
    case .completed: return L("dispatch_status_completed")
    case .unable: return L("dispatch_status_unable")
    case .cancelled: return L("dispatch_status_cancelled")
    }
}

/// "Draft", "Submitted", …
func statusText(_ status: OrderStatus) -> String {
    switch status {
    case .draft: return L("order_status_draft")
    case .submitted: return L("order_status_submitted")
    case .confirmed: return L("order_status_confirmed")
    case .partiallyShipped: return L("order_status_partially_shipped")
    case .shipped: return L("order_status_shipped")
    case .completed: return L("order_status_completed")
    case .cancelled: return L("order_status_cancelled")
    }
}

/// Repair, installation, maintenance, complaint; an unknown code as it is.
func ticketTypeText(_ code: String) -> String {
    switch code {
    case "repair": return L("ticket_type_repair")
    case "installation": return L("ticket_type_installation")
    case "maintenance": return L("ticket_type_maintenance")
    case "complaint": return L("ticket_type_complaint")
    default: return code
    }
}

/// Low, normal, high, urgent; an unknown code as it is.
func priorityText(_ code: String) -> String {
    switch code {
    case "low": return L("priority_low")
    case "normal": return L("priority_normal")
    case "high": return L("priority_high")
    case "urgent": return L("priority_urgent")
    default: return code
    }
}
