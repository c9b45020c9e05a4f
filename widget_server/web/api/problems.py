"""API errors: raised by handlers, answered as RFC 9457 problem details with a ``code``."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.responses import JSONResponse

from ..refusals import problem


class ApiError(Exception):
    """``raise ApiError(409, "slot_taken", "Someone else just took the last spot.")``"""

    def __init__(self, status: int, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return problem(self.status, self.code, self.detail, headers, **self.extra)


def invalid(exc: ValidationError, where: str) -> ApiError:
    """422 ``invalid_request`` listing each field's problem (pydantic's words)."""
    errors = [
        {
            "location": ".".join([where, *(str(part) for part in e["loc"])]),
            "message": e["msg"],
        }
        for e in exc.errors(include_url=False, include_input=False)
    ]
    return ApiError(422, "invalid_request", "The request has invalid fields.", errors=errors)


# Every code the API answers with, and when: the reference docs list them.
CODES = {
    "missing_api_key": (401, "No `Authorization: Bearer <key>` header."),
    "invalid_api_key": (401, "No such key."),
    "revoked_api_key": (401, "The key was revoked in the dashboard."),
    "read_only_key": (403, "A read-only key asked to change something."),
    "not_found": (404, "No such resource in your studio (another studio's ids are not found)."),
    "method_not_allowed": (405, "This path does not take that method."),
    "invalid_json": (400, "The body is not a JSON object."),
    "invalid_request": (422, "A field is missing or invalid: see `errors`."),
    "invalid_details": (422, "The client's name, email or phone is invalid: see `errors`."),
    "slot_unavailable": (409, "The slot is full, blocked, past or too soon (see `reason`)."),
    "wrong_state": (409, "The booking is not in a state that allows this."),
    "same_slot": (409, "The booking is already on that slot."),
    "lead_live": (409, "The lead has a live booking (booked, or a hold that has not lapsed)."),
    "not_payable": (409, "No pending offline payment to mark paid."),
    "idempotency_key_reused": (422, "This Idempotency-Key came with a different request."),
    "idempotency_in_progress": (409, "The first request with this key is still running."),
    "invalid_idempotency_key": (400, "Idempotency-Key: 1 to 255 printable ASCII characters."),
    "body_too_large": (413, "The body is larger than the API accepts (64 KB)."),
    "body_timeout": (408, "The body did not arrive in time."),
    "server_error": (500, "A bug on our side: we log it and fix it."),
    "database_unavailable": (503, "Retry after `Retry-After` seconds."),
}
