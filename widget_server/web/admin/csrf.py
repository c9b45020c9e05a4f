"""CSRF: every admin form carries the session's token; every admin POST must return it.

SameSite=Lax already keeps the cookie off cross-site POSTs in current browsers; the
token is the defence that does not depend on the browser.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData

from .session import AdminSession

FIELD = "csrf"


def token_matches(session: AdminSession | None, form: FormData) -> bool:
    """True only when the form's token is the session's (compared in constant time)."""
    sent = form.get(FIELD)
    if session is None or not isinstance(sent, str) or not sent:
        return False
    return secrets.compare_digest(sent.encode(), session.csrf.encode())
