"""Scoring emails with Debian's SpamAssassin, as a receiving mail server would.

``spamassassin -t -L``: test mode (the message isn't changed, the report is added), local
tests only (no network lookups: the same score on every run and machine). Bayes is off
and nothing is learnt, so no message's score depends on the ones scored before it. All
messages go through one run (``--mbox``): loading the rules is most of its time.
"""

from __future__ import annotations

import mailbox
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCORE = re.compile(r"score=(-?[\d.]+)")
TESTS = re.compile(r"tests=(.*?)(?:\s+autolearn=|\s+version=|$)")
SETTINGS = ("use_bayes 0", "bayes_auto_learn 0")


@dataclass(frozen=True)
class SpamScore:
    score: float
    rules: list[str]


def spam_scores(raws: list[bytes]) -> list[SpamScore]:
    """Each message's score and the rules that hit it, in order."""
    spamassassin = shutil.which("spamassassin")
    assert spamassassin, "SpamAssassin is needed (apt-get install spamassassin; .ci/run does)"
    with tempfile.TemporaryDirectory() as home:
        given = Path(home) / "given.mbox"
        box = mailbox.mbox(str(given))
        for raw in raws:
            box.add(mailbox.mboxMessage(raw))
        box.close()
        with given.open("rb") as stdin:
            out = subprocess.run(
                [spamassassin, "-t", "-L", "--mbox", *(f"--cf={line}" for line in SETTINGS)],
                stdin=stdin,
                capture_output=True,
                check=True,
                timeout=600,
                env={"HOME": home, "PATH": "/usr/bin:/bin"},
            ).stdout
        scored = Path(home) / "scored.mbox"
        scored.write_bytes(out)
        statuses = [" ".join(str(m["X-Spam-Status"]).split()) for m in mailbox.mbox(str(scored))]
    assert len(statuses) == len(raws), out[:2000]
    return [_read(status) for status in statuses]


def _read(status: str) -> SpamScore:
    score = SCORE.search(status)
    tests = TESTS.search(status)
    assert score and tests, status
    rules = [t for t in tests.group(1).replace(" ", "").split(",") if t and t != "none"]
    return SpamScore(float(score.group(1)), rules)
