"""What the API takes and gives, as pydantic models: the same classes validate requests,
shape responses and write the OpenAPI document's schemas (openapi.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

MAX_ID = 2**31 - 1  # PostgreSQL's integer: larger ids are simply not found
Id = Field(ge=1, le=MAX_ID)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Query(BaseModel):
    """Query strings: unknown parameters are ignored, as browsers and tools add their own."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# ---- problems -------------------------------------------------------------------------


class FieldError(Model):
    location: str = Field(description="Where: `body.email`, `query.limit`...")
    message: str


class Problem(Model):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str = Field(description="A link to this code's entry in the reference docs.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable, machine-readable: branch on this.")
    errors: list[FieldError] | None = Field(
        default=None, description="For `invalid_request`: each field's problem."
    )


# ---- public: mini sessions, days, slots ------------------------------------------------


class StudioPath(Query):
    studio: str = Field(min_length=1, max_length=64)


class MiniPath(Query):
    studio: str = Field(min_length=1, max_length=64)
    mini: str = Field(min_length=1, max_length=64)


class Money(Model):
    amount_minor: int = Field(description="Integer minor units (cents).")
    currency: str = Field(description="ISO 4217.")


class Location(Model):
    id: int
    name: str
    address: str
    map_url: str
    timezone: str


class Slot(Model):
    id: int
    starts_at: datetime = Field(description="UTC.")
    ends_at: datetime
    local_start: str = Field(description="The start in the location's time zone, ISO 8601.")
    capacity: int
    spots_left: int
    bookable: bool
    unavailable_reason: Literal["past", "too_soon", "blocked", "full"] | None


class SessionDay(Model):
    id: int
    date: date
    start_time: time
    end_time: time
    location: Location
    spots_left: int
    slots: list[Slot]


class MiniSummary(Model):
    id: int
    slug: str
    title: str
    description: str
    price: Money
    deposit: Money | None
    booking_process: Literal["quote", "free"]
    spots_left: int
    sold_out: bool
    dates: list[date]
    booking_url: str


class MiniSessionList(Model):
    studio: str
    data: list[MiniSummary]


class MiniSessionDetail(MiniSummary):
    days: list[SessionDay]


# ---- keyed reads -----------------------------------------------------------------------

BookingStatus = Literal["held", "booked", "cancelled", "expired"]
LeadStatus = Literal["scheduling_in_progress", "booked", "closed"]


class PageQuery(Query):
    cursor: str | None = Field(
        default=None, max_length=64, description="`next_cursor` of the previous page."
    )
    limit: int = Field(default=50, ge=1, le=200)
    created_after: AwareDatetime | None = Field(
        default=None, description="Only those created at or after this time (with a zone)."
    )
    created_before: AwareDatetime | None = Field(
        default=None, description="Only those created before this time (with a zone)."
    )


class BookingsQuery(PageQuery):
    status: BookingStatus | None = None
    starts_after: AwareDatetime | None = Field(
        default=None, description="Only sessions starting at or after this time."
    )
    starts_before: AwareDatetime | None = Field(
        default=None, description="Only sessions starting before this time."
    )
    mini: str | None = Field(default=None, max_length=64, description="A mini session's slug.")


class LeadsQuery(PageQuery):
    status: LeadStatus | None = None


class BookingPath(Query):
    booking_id: int = Id


class LeadPath(Query):
    lead_id: int = Id


class PaymentPath(Query):
    booking_id: int = Id
    payment_id: int = Id


class Client(Model):
    name: str
    email: str
    phone: str


AnswerKind = Literal["short", "long", "single", "select", "several", "number", "date", "yesno"]


class Answer(Model):
    """The client's answer to one of the mini session's questions, with the question as it
    was asked (editing or removing the question later changes no answer given)."""

    question_id: int
    question: str = Field(description="The question's label as the client read it.")
    kind: AnswerKind
    value: str = Field(
        description=(
            'The answer as text: `""` when left blank; `several`: the choices picked, '
            "one per line; `yesno`: `Yes` or `No`; `date`: ISO 8601; `number`: digits."
        )
    )
    values: list[str] = Field(
        description="The same as a list: each choice picked (`several`), else the one value."
    )


class BookingSummary(Model):
    id: int
    reference: str
    status: BookingStatus
    lead_id: int
    lead_status: LeadStatus
    client: Client
    mini: str = Field(description="The mini session's slug.")
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    total: Money
    created_at: datetime
    booked_at: datetime | None
    cancelled_at: datetime | None
    hold_expires_at: datetime | None
    answers: list[Answer] = Field(description="The client's answers, in the order asked.")


class Payment(Model):
    id: int
    method: str
    status: Literal["pending", "succeeded", "failed", "refunded"]
    amount_minor: int
    currency: str
    refunded_minor: int
    created_at: datetime


class Refund(Model):
    method: str
    amount_minor: int
    status: Literal["pending", "succeeded", "failed"]
    reason: str
    created_at: datetime


class Event(Model):
    kind: str
    at: datetime
    detail: dict[str, Any]


class Email(Model):
    kind: str
    recipient: str
    status: str = Field(description="pending, sent or failed.")
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class BookingDetail(BookingSummary):
    paid_minor: int
    balance_minor: int
    payments: list[Payment]
    refunds: list[Refund]
    events: list[Event]
    emails: list[Email]
    pay_url: str | None = Field(
        description="While held: the client's link to their quote and payment."
    )


class BookingPage(Model):
    data: list[BookingSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done.")


class Lead(Model):
    id: int
    status: LeadStatus
    client: Client
    mini: str
    utm: dict[str, str]
    created_at: datetime
    updated_at: datetime
    booking_ids: list[int]


class LeadPage(Model):
    data: list[Lead]
    next_cursor: str | None


class MiniSlugPath(Query):
    mini: str = Field(min_length=1, max_length=64, description="The mini session's slug.")


class WaitlistOffer(Model):
    """The latest spot offered to a waiting client: held for them until ``claim_by``."""

    state: Literal["offered", "claimed", "lapsed", "withdrawn"]
    booking_id: int | None
    slot_id: int | None
    starts_at: datetime | None
    claim_by: datetime | None
    by_hand: bool = Field(description="Offered by the photographer, not by the list's order.")


class WaitlistEntry(Model):
    id: int
    state: Literal["waiting", "offered", "claimed", "lapsed", "left"]
    client: Client
    session_day_ids: list[int] = Field(description="The days that suit them; empty: any.")
    parts_of_day: list[Literal["morning", "afternoon", "evening"]] = Field(
        description="The times of day that suit them; empty: any."
    )
    created_at: datetime
    offer: WaitlistOffer | None


class Waitlist(Model):
    mini: str
    data: list[WaitlistEntry] = Field(description="Everyone who joined, first come first.")


# ---- writes ----------------------------------------------------------------------------


class NewBooking(Model):
    slot_id: int = Id
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    phone: str = Field(min_length=1, max_length=32)
    status: Literal["booked", "held"] = Field(
        default="booked",
        description=(
            "`booked`: booked at once, the price owed to the studio directly (an offline "
            "payment, marked paid later). `held`: a hold the client pays through `pay_url` "
            "before it lapses. A free mini session without a contract is always booked."
        ),
    )
    utm: dict[str, str] = Field(default_factory=dict, max_length=10)


class Cancel(Model):
    message: str = Field(default="", max_length=2000, description="Sent to the client.")
    refund: Literal["policy", "full", "none"] = Field(
        default="policy", description="What to refund of what the client paid."
    )


class Move(Model):
    slot_id: int = Id


class Empty(Model):
    """No body needed (an empty body or `{}`)."""


class CancelResult(Model):
    booking: BookingDetail
    refunds_pending: int = Field(description="Refunds that failed for now; retried later.")
