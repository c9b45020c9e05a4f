"""A rendered email as a MIME message: headers built by the standard library, never by hand,
from values that cannot make a header or a body part whatever Python runs.

This is the one place headers are built. Every text that reaches one (display names:
the client's, the studio's; the subject, which carries names and titles) goes through
``header_text`` first: one line, no control, format or line-separator characters, and
no RFC 2047 encoded word. That last part matters because the standard library decodes
encoded words while it parses a header value, and interpreters without the fix for
CVE-2024-6923 (Python 3.11.7 among them) then write the decoded line breaks out as
they are: a name like ``=?utf-8?q?Eve=0D=0AX-Injected:_yes?=`` became a header, and a
blank line in it replaced the body. ``=?`` is therefore always written ``= ?``, which no
parser decodes. Names and addresses go in through ``email.headerregistry.Address``,
which quotes and encodes them, under the ``email.policy.SMTP`` policy. Last,
``check_headers`` folds every header as it will be written and refuses (RenderError,
the email fails for good) a message with a line break in one that is not a fold, so no
interpreter bug can put a header or a body of its own on the wire.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime
from email import policy
from email.errors import HeaderDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from ..i18n import DEFAULT_LANGUAGE, html_lang, known_language
from .render import RenderedEmail, RenderError

logger = logging.getLogger("minis.mail")

# Control (C0, C1, DEL), format (bidi overrides…), line and paragraph separators,
# surrogate, private-use and unassigned code points: none belongs in a header.
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
# Except the zero-width joiners that emoji sequences and several scripts need.
JOINERS = {"\u200c", "\u200d"}
# What starts an RFC 2047 encoded word, and what it is written as instead.
ENCODED_WORD_START = "=?"
NEUTRAL = "= ?"
# How the SMTP client may write a message: as ASCII, or as UTF-8 to a server that takes it.
WRITERS = (policy.SMTP, policy.SMTPUTF8)
# In a folded header, a line break must be followed by a space or a tab (a fold); any
# other starts a header line of its own. (The pattern the CVE-2024-6923 fix checks.)
NEWLINE_WITHOUT_FOLD = re.compile(r"\r\n[^ \t]|\r[^ \n\t]|\n[^ \t]")
BLANK_LINE = re.compile(r"\n[ \t]*(\r?\n|$)")


def header_text(value: str) -> str:
    """``value`` as a header may carry it: one line, printable, no encoded word."""
    printable = "".join(
        " " if unicodedata.category(ch) in REFUSED_CATEGORIES and ch not in JOINERS else ch
        for ch in value
    )
    # Occurrences of "=?" can't overlap, so one pass leaves none.
    return " ".join(printable.split()).replace(ENCODED_WORD_START, NEUTRAL)


def from_address(mail_from: str) -> str:
    """The bare address in MINIS_MAIL_FROM (``Name <a@b>`` or ``a@b``)."""
    found = getaddresses([mail_from])
    return (found[0][1] if found else "") or "bookings@localhost"


def sender_address(mail_from: str, name: str) -> Address:
    """MINIS_MAIL_FROM's address, shown with ``name`` (the studio's, to its clients)."""
    return Address(display_name=header_text(name), addr_spec=from_address(mail_from))


def _address(addr_spec: str, display_name: str = "") -> Address:
    """An address the header parser accepts as it is; RenderError otherwise (e.g. an
    encoded word in its local part, which email-validator allows)."""
    try:
        return Address(display_name=header_text(display_name), addr_spec=addr_spec)
    except (HeaderDefect, ValueError) as exc:
        raise RenderError(f"unusable address {addr_spec!r}: {exc}") from exc


def build_message(
    rendered: RenderedEmail, *, mail_from: str, message_id: str, date: datetime
) -> EmailMessage:
    """The MIME message; RenderError when it can't be written safely (it never will be)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender_address(mail_from, rendered.studio_name)
    message["To"] = _address(rendered.recipient, rendered.recipient_name)
    if rendered.reply_to:
        try:
            message["Reply-To"] = _address(rendered.reply_to)
        except RenderError:  # the email is still worth sending, without a way to reply
            logger.warning("email to %s sent without Reply-To", rendered.recipient)
    message["Subject"] = header_text(rendered.subject)
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"
    if rendered.list_unsubscribe:  # RFC 8058: mail apps unsubscribe with one POST
        message["List-Unsubscribe"] = f"<{header_text(rendered.list_unsubscribe)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for attachment in rendered.attachments:
        message.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
            params=attachment.params,  # a calendar file's charset and iTIP method
        )
    # The language it is written in (RFC 3282), a shipped one's tag ("fr", "pt-BR"); set
    # last, as making the message multipart moves Content-* headers into its first part.
    message["Content-Language"] = html_lang(known_language(rendered.language) or DEFAULT_LANGUAGE)
    check_headers(message)
    return message


def check_headers(message: EmailMessage) -> None:
    """Refuse (RenderError) a message any header of which, in any part, would be written
    with a line break that is not a fold: a new header line, or the end of the headers.

    Each header is folded here as the SMTP client will write it (ASCII, or SMTPUTF8 when
    the server takes it) and checked as the fixed interpreters check it, plus a line of
    only spaces, which some readers take for the blank line before the body.
    """
    for part in message.walk():
        for name, value in part.items():
            for writer in WRITERS:
                try:
                    folded = writer.fold(name, value)
                except Exception as exc:  # an interpreter that refuses it itself
                    raise RenderError(f"the {name} header can't be written: {exc}") from exc
                lines = folded.removesuffix("\r\n")
                if (
                    not folded.endswith("\r\n")
                    or NEWLINE_WITHOUT_FOLD.search(lines)
                    or BLANK_LINE.search(lines)
                ):
                    raise RenderError(f"the {name} header would hold a line break")


def message_id_for(email_id: int, created_at_ts: int, host: str) -> str:
    """Stable per outbox row: a retry after a crash carries the same id, so inboxes can merge
    it. On the service's own host (MINIS_BASE_URL's, ``ics.service_host``), which is what
    generated it: spam filters distrust ids on ``localhost`` or on someone else's domain."""
    return f"<minis.{email_id}.{created_at_ts}@{host or 'localhost'}>"
