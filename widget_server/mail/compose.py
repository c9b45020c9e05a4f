"""A rendered email as a MIME message: headers built by the standard library, never by hand.

Names go into headers only through ``email.headerregistry.Address``, which
quotes and encodes them; the ``email.policy.SMTP`` policy refuses any header
value with a line break. So a client named ``Ada\\r\\nBcc: x@y`` (which the
details form refuses anyway) still cannot add a header.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from .render import RenderedEmail


def from_address(mail_from: str) -> str:
    """The bare address in MINIS_MAIL_FROM (``Name <a@b>`` or ``a@b``)."""
    found = getaddresses([mail_from])
    return (found[0][1] if found else "") or "bookings@localhost"


def sender_address(mail_from: str, studio_name: str) -> Address:
    """MINIS_MAIL_FROM's address, shown with the studio's name."""
    return Address(display_name=_one_line(studio_name), addr_spec=from_address(mail_from))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_message(
    rendered: RenderedEmail, *, mail_from: str, message_id: str, date: datetime
) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender_address(mail_from, rendered.studio_name)
    message["To"] = Address(
        display_name=_one_line(rendered.recipient_name), addr_spec=rendered.recipient
    )
    if rendered.reply_to:
        message["Reply-To"] = Address(addr_spec=rendered.reply_to)
    message["Subject"] = rendered.subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for attachment in rendered.attachments:
        message.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return message


def message_id_for(email_id: int, created_at_ts: int, mail_from: str) -> str:
    """Stable per outbox row: a retry after a crash carries the same id, so inboxes can merge it."""
    domain = from_address(mail_from).rpartition("@")[2] or "localhost"
    return f"<minis.{email_id}.{created_at_ts}@{domain}>"
