"""Every operation of the API, in the order the reference docs list them; the routes, the
OpenAPI document and the docs page are all made from this list."""

from __future__ import annotations

import functools
from typing import Any

from starlette.routing import BaseRoute, Route

from . import bookings, docs, leads, openapi, public, waitlist
from . import models as m
from .operations import Operation, routes_of

V1 = "/api/v1"

OPERATIONS: list[Operation] = [
    Operation(
        "listMiniSessions",
        "GET",
        V1 + "/studios/{studio}/minis",
        public.list_minis,
        summary="A studio's mini sessions on its booking site, with spots left",
        tag="Public",
        access="public",
        path_model=m.StudioPath,
        response_model=m.MiniSessionList,
    ),
    Operation(
        "getMiniSession",
        "GET",
        V1 + "/studios/{studio}/minis/{mini}",
        public.get_mini,
        summary="One mini session (public or unlisted): its days and slots with spots left",
        tag="Public",
        access="public",
        path_model=m.MiniPath,
        response_model=m.MiniSessionDetail,
    ),
    Operation(
        "listBookings",
        "GET",
        V1 + "/bookings",
        bookings.list_bookings,
        summary="The studio's bookings, oldest first, filtered by status and time",
        tag="Bookings",
        access="read",
        query_model=m.BookingsQuery,
        response_model=m.BookingPage,
    ),
    Operation(
        "getBooking",
        "GET",
        V1 + "/bookings/{booking_id}",
        bookings.get_booking,
        summary="One booking with its payments, refunds, event log and emails",
        tag="Bookings",
        access="read",
        path_model=m.BookingPath,
        response_model=m.BookingDetail,
    ),
    Operation(
        "createBooking",
        "POST",
        V1 + "/bookings",
        bookings.create_booking,
        summary="Book a client on a slot (never past its capacity)",
        tag="Bookings",
        access="write",
        body_model=m.NewBooking,
        response_model=m.BookingDetail,
        status=201,
        errors=(409, 422),
    ),
    Operation(
        "cancelBooking",
        "POST",
        V1 + "/bookings/{booking_id}/cancel",
        bookings.cancel_booking,
        summary="Cancel a booked booking for the client, refunding what you choose",
        tag="Bookings",
        access="write",
        path_model=m.BookingPath,
        body_model=m.Cancel,
        response_model=m.CancelResult,
        errors=(409,),
    ),
    Operation(
        "moveBooking",
        "POST",
        V1 + "/bookings/{booking_id}/move",
        bookings.move_booking,
        summary="Move a booked booking to another slot of its mini session",
        tag="Bookings",
        access="write",
        path_model=m.BookingPath,
        body_model=m.Move,
        response_model=m.BookingDetail,
        errors=(409,),
    ),
    Operation(
        "markPaymentPaid",
        "POST",
        V1 + "/bookings/{booking_id}/payments/{payment_id}/mark-paid",
        bookings.mark_paid,
        summary="Mark a pending offline payment received",
        tag="Bookings",
        access="write",
        path_model=m.PaymentPath,
        body_model=m.Empty,
        response_model=m.BookingDetail,
        errors=(409,),
    ),
    Operation(
        "listLeads",
        "GET",
        V1 + "/leads",
        leads.list_leads,
        summary="The studio's leads, oldest first, filtered by status and time",
        tag="Leads",
        access="read",
        query_model=m.LeadsQuery,
        response_model=m.LeadPage,
    ),
    Operation(
        "getLead",
        "GET",
        V1 + "/leads/{lead_id}",
        leads.get_lead,
        summary="One lead and its bookings' ids",
        tag="Leads",
        access="read",
        path_model=m.LeadPath,
        response_model=m.Lead,
    ),
    Operation(
        "closeLead",
        "POST",
        V1 + "/leads/{lead_id}/close",
        leads.close,
        summary="Close a lead you have finished following up (never one with a live booking)",
        tag="Leads",
        access="write",
        path_model=m.LeadPath,
        body_model=m.Empty,
        response_model=m.Lead,
        errors=(409,),
    ),
    Operation(
        "getWaitlist",
        "GET",
        V1 + "/minis/{mini}/waitlist",
        waitlist.get_waitlist,
        summary="A mini session's waitlist, in order, with the spot each client was offered",
        tag="Waitlist",
        access="read",
        path_model=m.MiniSlugPath,
        response_model=m.Waitlist,
    ),
]


@functools.cache
def api_document() -> dict[str, Any]:
    """Written on first use, not at import: every web worker starts a little faster."""
    return openapi.document(OPERATIONS)


routes: list[BaseRoute] = [
    Route(V1 + "/openapi.json", openapi.serve(api_document)),
    Route(V1 + "/docs", docs.page(api_document)),
    *routes_of(OPERATIONS),
]
