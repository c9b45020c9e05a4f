"""``/admin/bookings.csv``: the studio's bookings for a spreadsheet.

Spreadsheet apps run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
and clients type their own names: every such cell is prefixed with a single quote
so a name like ``=HYPERLINK(...)`` stays text (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from babel.numbers import get_currency_precision
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...formatting import local
from ...studio.export import ExportRow, export_bookings
from ...studio.statuses import DEFAULT_FILTER, FILTERS
from .auth import Admin, admin_page

HEADER = (
    "reference",
    "status",
    "mini session",
    "date",
    "start time",
    "time zone",
    "location",
    "client name",
    "email",
    "phone",
    "lead status",
    "total",
    "paid",
    "balance",
    "currency",
    "payment methods",
    "booked at (UTC)",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "party size",
    "add-ons",
    "discount",
    "tax",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV without a byte order mark as the system's legacy code page, which
# garbles "Zoë"; with it, Excel, Numbers, LibreOffice and Google Sheets all read UTF-8.
BOM = "\ufeff"


def safe_cell(value: str) -> str:
    """Text a spreadsheet will show rather than evaluate."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def amount(minor: int | None, currency: str) -> str:
    """Minor units as a plain decimal (``125.00``): a number a spreadsheet can add up."""
    if minor is None:
        return ""
    return str(Decimal(minor).scaleb(-get_currency_precision(currency)))


def csv_record(row: ExportRow, currency: str) -> list[str]:
    when = local(row.starts_at, row.timezone)
    return [
        row.reference,
        row.status,
        row.mini_title,
        when.date().isoformat(),
        when.strftime("%H:%M"),
        row.timezone,
        row.location_name,
        row.client_name,
        row.client_email,
        row.client_phone,
        row.lead_status,
        amount(row.total_minor, currency),
        amount(row.paid_minor, currency),
        amount(row.balance_minor, currency),
        currency,
        " ".join(row.payment_methods),
        row.created_at.isoformat(),
        row.utm.get("utm_source", ""),
        row.utm.get("utm_medium", ""),
        row.utm.get("utm_campaign", ""),
        str(row.party_size),
        row.add_ons,
        amount(-row.lines_of("discount"), currency) if row.lines_of("discount") else "",
        amount(_tax(row), currency) if _tax(row) else "",
    ]


def _tax(row: ExportRow) -> int:
    """The tax in the total: added (exclusive) or included."""
    return row.lines_of("tax")


def question_columns(rows: list[ExportRow]) -> list[tuple[int, str]]:
    """One column per question answered in these rows: (question id, header), by mini
    session and then the order asked. The header is the question's latest wording among
    the answers, after its mini session's title when the export spans several."""
    found: dict[int, tuple[str, int, str]] = {}
    for row in rows:
        for answer in row.answers:
            found[answer.question_id] = (row.mini_title, answer.position, answer.label)
    several = len({title for title, _, _ in found.values()}) > 1
    ordered = sorted(found.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
    return [
        (question_id, f"{title}: {label}" if several else label)
        for question_id, (title, _, label) in ordered
    ]


def answer_cells(row: ExportRow, columns: list[tuple[int, str]]) -> list[str]:
    given = {a.question_id: a for a in row.answers}
    return [
        "; ".join(given[q].lines)
        if q in given and given[q].kind == "several"
        else given[q].value
        if q in given
        else ""
        for q, _ in columns
    ]


@admin_page
async def bookings_csv(request: Request, admin: Admin) -> Response:
    """The bookings list (same ``?status=`` filter) as a CSV download."""
    key = request.query_params.get("status", DEFAULT_FILTER)
    if key not in FILTERS:
        key = DEFAULT_FILTER
    rows = await export_bookings(
        request.app.state.db, admin.studio.id, key, request.app.state.clock()
    )
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    columns = question_columns(rows)
    writer.writerow([*HEADER, *(safe_cell(header) for _, header in columns)])
    for row in rows:
        currency = row.currency or admin.studio.currency
        cells = [*csv_record(row, currency), *answer_cells(row, columns)]
        writer.writerow([safe_cell(cell) for cell in cells])
    today = local(request.app.state.clock(), admin.studio.timezone).date().isoformat()
    filename = f"{admin.studio.slug}-bookings-{key}-{today}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


routes: list[BaseRoute] = [
    Route("/admin/bookings.csv", bookings_csv),
]
