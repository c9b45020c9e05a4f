"""The OpenAPI 3.1 document, written from the operations and their pydantic models: the
schemas here are the ones that validate requests and shape responses (operations.py)."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from .operations import CORS, Operation, etag_of
from .problems import CODES

REF = "#/components/schemas/{model}"
PROBLEM_MEDIA = "application/problem+json"
PRINTABLE = r"^[\x21-\x7e]{1,255}$"

INTRO = """\
Minis' JSON API. Public reads (a studio's mini sessions, days and slots with spots left)
need no key and allow any origin (CORS). Everything else needs an API key, made in the
dashboard (Integrations), sent as `Authorization: Bearer <key>`; read-write keys can also
book, cancel, move, mark paid and close leads.

Lists are pages in id order: pass `next_cursor` back as `cursor` until it is null. Every
GET answers with an `ETag`; send it back as `If-None-Match` for a 304 when nothing changed.
Every POST takes an `Idempotency-Key`: the first request with a key runs, and any later
one with that key gets the first answer again (`Idempotent-Replayed: true`).
Errors are RFC 9457 problem details with a stable `code`.
"""


def _strip_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value, never JSON null: drop the null branch."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        rest = [o for o in options if o != {"type": "null"}]
        if len(rest) == 1:
            merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            return {**rest[0], **merged}
    return {k: v for k, v in schema.items() if not (k == "default" and v is None)}


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = _strip_null(copy.deepcopy(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        params.append(param)
    return params


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA: {"schema": {"$ref": REF.format(model="Problem")}}},
    }


def _responses(op: Operation, names: dict[Any, str]) -> dict[str, Any]:
    ok: dict[str, Any] = {
        "description": "OK" if op.status == 200 else "Created",
        "content": {
            "application/json": {
                "schema": {"$ref": REF.format(model=names[(op.response_model, "serialization")])}
            }
        },
    }
    responses: dict[str, Any] = {str(op.status): ok}
    if op.method == "GET":
        ok["headers"] = {"ETag": {"schema": {"type": "string"}}}
        responses["304"] = {"description": "Not modified (the `If-None-Match` ETag matched)."}
    if op.access != "public":
        responses["401"] = _problem("No key, an unknown key, or a revoked one.")
    if op.access == "write":
        responses["403"] = _problem("A read-only key.")
    responses["404"] = _problem("Not found (or another studio's).")
    if op.method == "POST":
        responses["400"] = _problem("The body is not a JSON object, or a bad Idempotency-Key.")
        responses["409"] = _problem("Refused as things stand (see `code`).")
        responses["413"] = _problem("The body is too large.")
    if op.method == "POST" or op.query_model is not None:
        responses["422"] = _problem("Invalid fields (see `errors`).")
    responses["503"] = _problem("The database is unavailable; retry after `Retry-After`.")
    return dict(sorted(responses.items()))


def document(operations: list[Operation]) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for op in operations:
        if op.body_model is not None:
            wanted.append((op.body_model, "validation"))
        wanted.append((op.response_model, "serialization"))
    from .models import Problem

    wanted.append((Problem, "serialization"))
    unique = list(dict.fromkeys(wanted))
    keyed, top = models_json_schema(unique, ref_template=REF)
    names = {key: value["$ref"].rsplit("/", 1)[1] for key, value in keyed.items()}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag],
            "security": [] if op.access == "public" else [{"apiKey": []}],
            "parameters": _parameters(op.path_model, "path") + _parameters(op.query_model, "query"),
            "responses": _responses(op, names),
        }
        if op.access == "write":
            entry["description"] = "Needs a read-write key."
        if op.method == "GET":
            entry["parameters"].append(
                {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "description": "An ETag from an earlier answer: 304 when unchanged.",
                    "schema": {"type": "string", "pattern": PRINTABLE},
                }
            )
        if op.method == "POST":
            entry["parameters"].append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Any unique string: a retry with it gets the first answer.",
                    "schema": {"type": "string", "pattern": PRINTABLE},
                }
            )
        if op.body_model is not None:
            body_schema = op.body_model.model_json_schema()
            entry["requestBody"] = {
                "required": bool(body_schema.get("required")),
                "content": {
                    "application/json": {
                        "schema": {"$ref": REF.format(model=names[(op.body_model, "validation")])}
                    }
                },
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Minis API", "version": "1", "description": INTRO},
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A key from the dashboard's Integrations page.",
                }
            },
        },
        "x-problem-codes": {code: {"status": s, "when": w} for code, (s, w) in CODES.items()},
    }


def serve(document: Callable[[], dict[str, Any]]) -> Callable[[Request], Awaitable[Response]]:
    @functools.cache
    def body() -> bytes:
        return json.dumps(document(), indent=1).encode()

    async def openapi_json(request: Request) -> Response:
        headers = {**CORS, "ETag": etag_of(body())}
        return Response(body(), media_type="application/json", headers=headers)

    return openapi_json
