"""The API's reference docs: one server-rendered page written from the OpenAPI document
(operations, parameters, bodies, responses' fields, problem codes). No script, no CDN."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class OperationDoc:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    auth: str
    parameters: list[FieldDoc]
    body: str | None
    response: str
    status: str
    errors: list[str]


@dataclass
class SchemaDoc:
    name: str
    description: str
    fields: list[FieldDoc] = field(default_factory=list)


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def type_label(schema: dict[str, Any]) -> str:
    """A reader's name for a JSON Schema: ``BookingSummary[]``, ``"held" | "booked"``…"""
    name = _ref_name(schema)
    if name:
        return name
    if "anyOf" in schema:
        return " | ".join(type_label(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(f'"{v}"' for v in schema["enum"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    kind = schema.get("type", "any")
    if kind == "array":
        return type_label(schema.get("items", {})) + "[]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"object of {type_label(extra)}" if isinstance(extra, dict) else "object"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _fields(schema: dict[str, Any]) -> list[FieldDoc]:
    required = set(schema.get("required", []))
    return [
        FieldDoc(
            name=name,
            type=type_label(prop),
            required=name in required,
            description=str(prop.get("description", "")),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def view(document: dict[str, Any]) -> dict[str, Any]:
    sections: dict[str, list[OperationDoc]] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            responses = op["responses"]
            status = next(code for code in responses if code.startswith("2"))
            ok_schema = responses[status]["content"]["application/json"]["schema"]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            sections.setdefault(op["tags"][0], []).append(
                OperationDoc(
                    anchor=op["operationId"],
                    method=method.upper(),
                    path=path,
                    summary=op["summary"],
                    description=op.get("description", ""),
                    auth="none" if not op["security"] else "API key",
                    parameters=[
                        FieldDoc(
                            name=f"{p['name']} ({p['in']})",
                            type=type_label(p["schema"]),
                            required=p["required"],
                            description=p.get("description", ""),
                        )
                        for p in op["parameters"]
                    ],
                    body=_ref_name(body.get("schema", {})) if body else None,
                    response=_ref_name(ok_schema) or "",
                    status=status,
                    errors=[code for code in responses if code[0] in "45"],
                )
            )
    schemas = [
        SchemaDoc(name=name, description=str(s.get("description", "")), fields=_fields(s))
        for name, s in sorted(document["components"]["schemas"].items())
    ]
    return {
        "info": document["info"],
        "sections": sections,
        "schemas": schemas,
        "codes": document["x-problem-codes"],
    }


def page(document: Callable[[], dict[str, Any]]) -> Callable[[Request], Awaitable[Response]]:
    @functools.cache
    def context() -> dict[str, Any]:
        return view(document())

    async def api_docs(request: Request) -> Response:
        return request.app.state.templates.TemplateResponse(
            request, "api/docs.html", {**context(), "title": "Minis API reference"}
        )

    return api_docs
