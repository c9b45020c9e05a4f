"""Reading calendar files as calendar apps do: with Python's icalendar and, independently,
with ical.js (Mozilla's parser, run by node from tests/support/icaljs; `npm ci` there).

Both give the same shape, so a test checks every file twice and the parsers against each
other: ``{"method", "events": [{"uid", "sequence", "start", "end", "status", ...}]}``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from icalendar import Calendar

ICALJS = Path(__file__).resolve().parent / "icaljs"


def _utc_iso(value: datetime) -> str:
    """As JavaScript's Date.toISOString writes it (the files' times are all UTC)."""
    assert value.utcoffset() == timedelta(0), value
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def read_with_icalendar(data: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(data)
    events = []
    for event in calendar.walk("VEVENT"):
        events.append(
            {
                "uid": str(event["uid"]),
                "sequence": int(event.get("sequence", 0)),
                "start": _utc_iso(event.decoded("dtstart")),
                "end": _utc_iso(event.decoded("dtend")),
                "status": str(event.get("status")),
                "summary": str(event["summary"]),
                "location": str(event["location"]),
                "organizer": str(event["organizer"]),
                "attendees": [str(a) for a in _list(event.get("attendee"))],
            }
        )
    return {"method": str(calendar["method"]), "events": events}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def read_with_icaljs(files: list[bytes]) -> list[dict[str, Any]]:
    """Every file read by ical.js in one node run."""
    node = shutil.which("node")
    assert node, "node is needed to run ical.js"
    assert (ICALJS / "node_modules" / "ical.js").is_dir(), "run `npm ci` in " + str(ICALJS)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, data in enumerate(files):
            path = Path(tmp) / f"{i}.ics"
            path.write_bytes(data)
            paths.append(str(path))
        out = subprocess.run(
            [node, str(ICALJS / "parse.mjs"), *paths],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
    result = json.loads(out.stdout)
    assert isinstance(result, list)
    return result


def read_both(files: list[bytes]) -> list[dict[str, Any]]:
    """Each file as both parsers read it; they must agree on everything compared."""
    by_icaljs = read_with_icaljs(files)
    by_icalendar = [read_with_icalendar(data) for data in files]
    for js, py in zip(by_icaljs, by_icalendar, strict=True):
        assert js["method"] == py["method"]
        assert len(js["events"]) == len(py["events"]) == 1
        for key in ("uid", "sequence", "start", "end", "status", "summary", "location"):
            assert js["events"][0][key] == py["events"][0][key], key
        assert js["events"][0]["organizer"] == py["events"][0]["organizer"]
        assert js["events"][0]["attendees"] == py["events"][0]["attendees"]
    return by_icalendar


def calendar_attachment(message: EmailMessage) -> EmailMessage:
    [ics] = [a for a in message.iter_attachments() if a.get_content_type() == "text/calendar"]
    return ics
