"""Web origins (``scheme://host[:port]``): the form studios' allowed embed sites are kept in.

``studios.allowed_origins`` holds them space-separated; web/embed.py reads them back with
``normalize_origin`` for ``frame-ancestors`` and for the host page a widget may talk to.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..i18n import gettext as _

DEFAULT_PORTS = {"http": 80, "https": 443}
# http is for trying the embed on one's own computer; any real site is https.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
OTHER_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)
MAX_ORIGINS = 50
MAX_LINE = 300


class InvalidOrigins(ValueError):
    """Lines that are not origins: ``problems`` maps a 1-based line number to why."""

    def __init__(self, problems: dict[int, str]) -> None:
        super().__init__("; ".join(f"line {n}: {why}" for n, why in problems.items()))
        self.problems = problems


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lowercase, or None for anything that is not an origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _host(hostname: str) -> str | None:
    """The host as browsers write it in an origin (IDN as punycode), or None if it isn't one."""
    if hostname in LOCAL_HOSTS or hostname == "::1":
        return "[::1]" if hostname == "::1" else hostname
    try:
        ascii_host = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        return None
    return ascii_host


def site_origin(line: str) -> str:
    """A site the photographer typed, as the origin a browser reports for it.

    Accepts a full page URL (``https://www.example.com/book``: the path is dropped) or a
    bare host (``example.com``: https assumed). Raises ValueError with the reason.
    """
    text = line.strip()
    if len(text) > MAX_LINE:
        raise ValueError("that is too long to be a web address")
    if "://" not in text:
        if OTHER_SCHEME.match(text):  # javascript:, data:, mailto:... (not host:port)
            raise ValueError("only https:// addresses can embed the widget")
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("that isn't a web address (check the port number)") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError("only https:// addresses can embed the widget")
    if parts.username is not None or parts.password is not None:
        raise ValueError("leave out the user name and password")
    host = _host((parts.hostname or "").lower())
    if host is None:
        raise ValueError("that isn't a web address like https://www.example.com")
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise ValueError("use https:// (http:// is only for localhost)")
    port_part = f":{port}" if port and port != DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{port_part}"


def parse_origins(text: str) -> list[str]:
    """One site per line → distinct origins, in the order given. Blank lines are skipped.

    Raises InvalidOrigins naming each bad line, so the photographer can fix them all at once.
    """
    origins: list[str] = []
    problems: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            origin = site_origin(line)
        except ValueError as exc:
            problems[number] = str(exc)
            continue
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        problems[0] = _("at most %(max_origins)s sites") % {"max_origins": MAX_ORIGINS}
    if problems:
        raise InvalidOrigins(problems)
    return origins
