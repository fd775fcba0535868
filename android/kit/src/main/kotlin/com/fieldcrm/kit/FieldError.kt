// The one error type the app handles, mirroring the facade's FieldError variants.
package com.fieldcrm.kit

/**
 * An error of a [FieldRepository] call. Every variant is something the app acts on; `reason` is
 * for logs (screens show their own localized text per variant, except [InvalidInput] whose
 * reason names the bad field).
 */
sealed class FieldError(val reason: String, cause: Throwable? = null) : Exception(reason, cause) {
    /** The server cannot be reached; local work is kept. Retry later. */
    class Offline(reason: String, cause: Throwable? = null) : FieldError(reason, cause)

    /** Not logged in, wrong password, or the session ended: show the login screen. */
    class Unauthorized(reason: String, cause: Throwable? = null) : FieldError(reason, cause)

    /** The user may not do this. */
    class Forbidden(reason: String, cause: Throwable? = null) : FieldError(reason, cause)

    /** The record does not exist on this device (any more). */
    class NotFound(reason: String, cause: Throwable? = null) : FieldError(reason, cause)

    /** Bad input (a field value, an id, a URL): show `reason` next to the form. */
    class InvalidInput(reason: String, cause: Throwable? = null) : FieldError(reason, cause)

    /** Anything else (server or local store failure). */
    class Internal(reason: String, cause: Throwable? = null) : FieldError(reason, cause)

    override fun toString(): String = "${this::class.simpleName}($reason)"
}
