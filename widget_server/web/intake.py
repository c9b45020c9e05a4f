"""The client's intake after booking: correcting their answers until the change cutoff,
and their copy of the signed contract."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..booking.answers import (
    answer_fields,
    answers_open_until,
    booking_answers,
    can_correct,
    check_answers,
    correct_answers,
    form_values,
)
from ..booking.contracts import signature_of
from ..booking.errors import ChangeNotAllowed, InvalidDetails
from ..booking.questions import questions_of
from ..contract_pdf import signed_contract_pdf
from ..i18n import gettext as _
from .booking_access import booking_or_404, to_booking
from .forms import read_form_lists
from .pages import error_page, render
from .urls import page_url


async def answers_page(request: Request) -> Response:
    """GET: the questions with the client's answers. POST: save the corrections."""
    booking = await booking_or_404(request)
    now = request.app.state.clock()
    back = page_url(request, booking.public_id)
    if not can_correct(booking, now):
        return error_page(
            request,
            409,
            _(
                "Answers can be changed until the change cutoff before the session. "
                "Please contact %(studio)s to change them now."
            )
            % {"studio": booking.studio.name},
            studio=booking.studio,
            title=_("Answers can't be changed any more"),
            back_url=back,
            back_label=_("Back to your booking"),
        )
    db = request.app.state.db
    asked = await questions_of(db, booking.mini.id)
    if not asked:
        return to_booking(request, booking)
    errors: dict[str, str] = {}
    if request.method == "POST":
        lists = await read_form_lists(request, answer_fields(asked))
        try:
            await correct_answers(db, booking, check_answers(asked, lists), now)
        except InvalidDetails as exc:
            errors = exc.errors
            values: dict[str, str | list[str]] = {q.field: lists.get(q.field, []) for q in asked}
        except ChangeNotAllowed:
            return to_booking(request, booking)
        else:
            return RedirectResponse(
                page_url(request, booking.public_id, done="answers"), status_code=303
            )
    else:
        values = form_values(await booking_answers(db, booking.id))
    return render(
        request,
        "public/answers.html",
        {
            "booking": booking,
            "questions": asked,
            "answers": values,
            "errors": errors,
            "back_url": back,
            "action_url": page_url(request, booking.public_id, "answers"),
            "open_until": answers_open_until(booking),
        },
        status_code=422 if errors else 200,
        studio=booking.studio,
    )


async def contract_file(request: Request) -> Response:
    """The client's copy of their signed contract."""
    booking = await booking_or_404(request)
    signature = await signature_of(request.app.state.db, booking.id)
    if signature is None:
        raise HTTPException(404)
    return Response(
        signed_contract_pdf(booking, signature),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="contract-{booking.reference}.pdf"',
            "Cache-Control": "no-store",
        },
    )


routes: list[BaseRoute] = [
    Route("/b/{token}/answers", answers_page, methods=["GET", "POST"]),
    Route("/embed/b/{token}/answers", answers_page, methods=["GET", "POST"]),
    Route("/b/{token}/contract.pdf", contract_file),
]
