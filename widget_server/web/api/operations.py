"""Every API request runs the same way: CORS (public ones), the key, the path, the query and
the body validated by the operation's models, Idempotency-Key on POSTs, the handler, the
response shaped by its model, and an ETag on GETs. The OpenAPI document is written from the
same ``Operation`` list (openapi.py), so what is documented is what is checked.

    op = Operation("getBooking", "GET", "/api/v1/bookings/{booking_id}", get_booking,
                   access="read", path_model=BookingPath, response_model=BookingDetail)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from databases import Database
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...studio.api_keys import ApiKey
from . import idempotency
from .auth import CHALLENGE, authorise
from .problems import ApiError, invalid

Access = Literal["public", "read", "write"]
JSON = "application/json"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Max-Age": "86400",
}


@dataclass
class Call:
    """What a handler gets: the request, validated inputs, the caller's key."""

    request: Request
    db: Database
    now: datetime
    key: ApiKey | None
    path: Any
    query: Any
    body: Any

    @property
    def studio_id(self) -> int:
        assert self.key is not None
        return self.key.studio_id


Handler = Callable[[Call], Awaitable[BaseModel]]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: Literal["GET", "POST"]
    path: str
    handler: Handler
    summary: str
    tag: str
    access: Access
    response_model: type[BaseModel]
    path_model: type[BaseModel] | None = None
    query_model: type[BaseModel] | None = None
    body_model: type[BaseModel] | None = None
    status: int = 200
    # Problem statuses this operation may answer besides the common ones.
    errors: tuple[int, ...] = ()
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _validate(model: type[BaseModel] | None, data: Any, where: str) -> Any:
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, where) from exc


def _body(op: Operation, raw: bytes) -> Any:
    if op.body_model is None:
        return None
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "invalid_json", "The body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return _validate(op.body_model, data, "body")


def _path(op: Operation, params: dict[str, Any]) -> Any:
    if op.path_model is None:
        return None
    try:
        return op.path_model.model_validate(params)
    except ValidationError as exc:
        # An id that can't be one (text, 0, past PostgreSQL's integer) names nothing.
        raise ApiError(404, "not_found", "No such resource.") from exc


def _json(model: BaseModel) -> bytes:
    return json.dumps(
        model.model_dump(mode="json", exclude_none=False), separators=(",", ":")
    ).encode()


def etag_of(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def _not_modified(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match", "")
    return any(tag.strip() in (etag, "*") for tag in wanted.split(","))


def endpoint(op: Operation) -> Callable[[Request], Awaitable[Response]]:
    public = op.access == "public"

    async def run(request: Request) -> Response:
        extra_headers = dict(CORS) if public else {}
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=extra_headers)
        try:
            response = await _run(op, request)
        except ApiError as exc:
            headers = CHALLENGE if exc.status == 401 else None
            response = exc.response(headers)
        response.headers.update(extra_headers)
        if not public:
            # A key's answers are the studio's: only the caller may keep them, revalidated.
            response.headers.setdefault("Cache-Control", "private, no-cache")
        return response

    return run


async def _run(op: Operation, request: Request) -> Response:
    db: Database = request.app.state.db
    now: datetime = request.app.state.clock()
    key = (
        None
        if op.access == "public"
        else await authorise(request, db, now, write=op.access == "write")
    )
    path = _path(op, dict(request.path_params))
    query = _validate(op.query_model, dict(request.query_params), "query")
    raw = await request.body() if op.method == "POST" else b""
    body = _body(op, raw)
    call = Call(request, db, now, key, path, query, body)
    if op.method == "GET":
        payload = _json(await op.handler(call))
        etag = etag_of(payload)
        if _not_modified(request, etag):
            return Response(status_code=304, headers={"ETag": etag})
        return Response(payload, status_code=op.status, media_type=JSON, headers={"ETag": etag})
    assert key is not None
    idem_key = idempotency.read_key(request.headers.get(idempotency.HEADER))
    if idem_key is None:
        return await _respond(op, call)
    fingerprint = idempotency.request_hash(op.method, request.url.path, raw)
    row_id, first = await idempotency.claim(db, key.studio_id, idem_key, fingerprint, now)
    if first is not None:
        assert first.status_code is not None
        return Response(
            first.body.encode(),
            status_code=first.status_code,
            media_type=JSON if first.status_code < 400 else "application/problem+json",
            headers={"Idempotent-Replayed": "true"},
        )
    assert row_id is not None
    try:
        response = await _respond(op, call)
    except BaseException:
        await idempotency.give_back(db, row_id)
        raise
    await idempotency.remember(db, row_id, response.status_code, bytes(response.body).decode())
    return response


async def _respond(op: Operation, call: Call) -> Response:
    try:
        return Response(_json(await op.handler(call)), status_code=op.status, media_type=JSON)
    except ApiError as exc:
        return exc.response()


def routes_of(operations: list[Operation]) -> list[BaseRoute]:
    """One Route per path, its methods from the operations on it (OPTIONS for public ones)."""
    by_path: dict[str, list[Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append(op)
    routes: list[BaseRoute] = []
    for path, ops in by_path.items():
        handlers: dict[str, Callable[[Request], Awaitable[Response]]] = {
            op.method: endpoint(op) for op in ops
        }
        if any(op.access == "public" for op in ops):
            handlers["OPTIONS"] = handlers[next(op.method for op in ops if op.access == "public")]

        async def dispatch(
            request: Request,
            handlers: dict[str, Callable[[Request], Awaitable[Response]]] = handlers,
        ) -> Response:
            return await handlers[request.method](request)

        routes.append(Route(path, dispatch, methods=list(handlers)))
    return routes
