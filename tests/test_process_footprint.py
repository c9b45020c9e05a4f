"""What a serving process carries: libraries it uses now and then are loaded when used.

A worker's memory after a storm is one of issue 19's goals (bench/README.md §13): Alembic
(about 20 MiB with the engine it migrates on) runs in a child of ``minis serve``, and the
``stripe`` library (about 7 MiB with ``requests``) loads with the first Stripe call.
"""

from __future__ import annotations

import subprocess
import sys

from tests.support.live_server import ROOT

LOADED_LATER = ("alembic", "stripe", "requests", "fpdf")


def test_the_serving_code_loads_no_migration_or_payment_library_up_front() -> None:
    code = (
        "import sys\n"
        "from widget_server.cli import main\n"
        "from widget_server.app import create_app\n"
        f"print(' '.join(m for m in {LOADED_LATER!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == []
