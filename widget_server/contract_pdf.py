"""The signed contract as a PDF (fpdf2): the text the client read, and the evidence.

The body is the stored text rendered as the client saw it (Markdown, HTML disabled, as
on the page); the exact stored text is also embedded in the PDF as ``contract.md``, so
anyone can check it against the SHA-256 printed below it. DejaVu Sans (Debian's
``fonts-dejavu-core``) covers Latin, Greek, Cyrillic, Arabic, Hebrew and more; the PDF
core fonts only cover Latin-1. What DejaVu lacks (Chinese, Japanese, Korean) is drawn
from WenQuanYi Micro Hei (Debian's ``fonts-wqy-microhei``), fpdf2's fallback font, so a
client's name in any of those scripts is printed, never left blank.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path

from .booking.contracts import SignatureRow
from .booking.views import BookingView
from .notice import notice_html

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
FAMILY = "DejaVu"
# One face for every style: a bold CJK name is drawn regular rather than not at all.
FALLBACK_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FALLBACK_FAMILY = "WenQuanYi"

logger = logging.getLogger("minis")


class FontMissing(RuntimeError):
    """The PDF font isn't installed (apt-get install fonts-dejavu-core)."""


@cache
def _font_paths() -> dict[str, Path]:
    paths = {style: FONT_DIR / name for style, name in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FontMissing(
            f"Contract PDFs need the DejaVu fonts (Debian: fonts-dejavu-core); missing: {missing}"
        )
    return paths


@cache
def _fallback_path() -> Path | None:
    """The CJK font, or None (logged once: contracts still print, CJK text blank)."""
    if FALLBACK_FILE.is_file():
        return FALLBACK_FILE
    logger.warning(
        "Contract PDFs can't print Chinese, Japanese or Korean text: install "
        "fonts-wqy-microhei (missing: %s)",
        FALLBACK_FILE,
    )
    return None


# The dashboard's email list renders each email, attachments included: the same
# signature makes the same bytes, so recent ones are kept rather than drawn again.
@lru_cache(maxsize=64)
def contract_pdf(
    *,
    title: str,
    studio: str,
    reference: str,
    text: str,
    sha256: str,
    signed_name: str,
    signed_at: datetime,
    ip_address: str,
    user_agent: str,
) -> bytes:
    """The PDF's bytes."""
    # Imported here: fpdf2 (with Pillow and fontTools) takes a second to import, which
    # every worker would pay at start for a file only signed bookings need.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"Contract: {title}")
    pdf.set_author(studio)
    pdf.set_creation_date(signed_at)
    for style, path in _font_paths().items():
        pdf.add_font(FAMILY, style, str(path))
    shown = "".join((title, studio, reference, text, signed_name, ip_address, user_agent))
    covered = getattr(pdf.fonts[FAMILY.lower()], "cmap", {})
    # Loading the CJK font takes most of a second: only for a contract that needs it.
    needed = any(ord(ch) not in covered for ch in set(shown) if ch.isprintable())
    fallback = _fallback_path() if needed else None
    if fallback is not None:
        pdf.add_font(FALLBACK_FAMILY, "", str(fallback))
        pdf.set_fallback_fonts([FALLBACK_FAMILY], exact_match=False)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, f"{studio}: {title}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(0, 5, f"Booking {reference}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 11)
    pdf.write_html(str(notice_html(text)), font_family=FAMILY)
    pdf.ln(6)
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(0, 6, "Signature", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    for label, value in (
        ("Signed by typing", signed_name),
        ("Agreed", "Yes: the signer ticked “I have read and agree to this contract”"),
        ("Signed at (UTC)", signed_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("From address", ip_address or "unknown"),
        ("Browser", user_agent or "unknown"),
        ("SHA-256 of the text", sha256),
    ):
        pdf.multi_cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(
        0,
        5,
        "The exact text signed is attached to this PDF as contract.md (UTF-8).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.embed_file(
        bytes=text.encode("utf-8"),
        basename="contract.md",
        modification_date=signed_at,
        mime_type="text/markdown",
        desc="The exact text signed",
    )
    return bytes(pdf.output())


def signed_contract_pdf(booking: BookingView, signature: SignatureRow) -> bytes:
    """The PDF of a booking's signed contract (the confirmation email's attachment and the
    dashboard's download are the same file)."""
    return contract_pdf(
        title=booking.mini.title,
        studio=booking.studio.name,
        reference=booking.reference,
        text=signature.text,
        sha256=signature.sha256,
        signed_name=signature.signed_name,
        signed_at=signature.signed_at,
        ip_address=signature.ip_address,
        user_agent=signature.user_agent,
    )
