"""HTTP only: parse the request, call the domain, render. No business rules here."""

from . import forms as _forms  # noqa: F401  (registers the {name:id} path convertor first)
