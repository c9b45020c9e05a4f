"""The contract on the checkout: what the page shows, and reading the client's signature.

Kept apart from the quote page's handler so the block (this and
templates/partials/contract_sign.html) can move with the checkout as a whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..booking.contracts import (
    ContractChanged,
    Signature,
    check_signature,
    contract_text,
    signature_of,
    text_hash,
)
from ..booking.errors import InvalidDetails
from ..booking.views import BookingView
from ..i18n import lazy_gettext

if TYPE_CHECKING:
    from .checkout import Checkout

BLOCK = "partials/contract_sign.html"
CHANGED = lazy_gettext(
    "The contract was updated while you were reading it. Nothing was signed: "
    "please read the new version below and sign it."
)


async def contract_context(
    request: Request, booking: BookingView, *, values: dict[str, str] | None = None
) -> dict[str, Any]:
    """``contract`` for the partial: None when there is nothing to sign; else the text
    to read (or the signature already given) and the form's values."""
    if not booking.mini.contract.strip():
        return {"contract": None}
    signed = await signature_of(request.app.state.db, booking.id)
    text = signed.text if signed else contract_text(booking)
    return {
        "contract": {
            "text": text,
            "sha256": text_hash(text),
            "signed": signed,
            "values": values or {},
        }
    }


async def read_signature(
    request: Request, booking: BookingView, form: dict[str, str]
) -> Signature | None:
    """The signature the form carries; None when there is nothing (more) to sign.
    InvalidDetails per field; ContractChanged when the contract was edited since the
    page was shown."""
    if not booking.mini.contract.strip():
        return None
    if await signature_of(request.app.state.db, booking.id) is not None:
        return None
    return check_signature(
        booking,
        shown_sha256=form.get("contract_sha256", ""),
        typed_name=form.get("signed_name", ""),
        agreed=form.get("agree") == "1",
        ip_address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )


async def sign_contract(checkout: Checkout) -> Response | None:
    """The checkout's step: the signature, kept for ``hold_for_payment`` to store with the
    quote's acceptance; field errors, or the new text to read when it changed. Updating
    the total (add-ons, a code: ``action=update``) signs nothing and asks for nothing."""
    if checkout.form.get("action") == "update":
        return None
    try:
        checkout.signature = await read_signature(checkout.request, checkout.booking, checkout.form)
    except ContractChanged:
        checkout.errors["contract"] = str(CHANGED)
        checkout.form.pop("agree", None)  # a tick given to another text is no agreement
    except InvalidDetails as exc:
        checkout.errors |= exc.errors
    return None
