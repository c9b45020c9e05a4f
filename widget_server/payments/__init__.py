"""Payment methods behind one small interface (base.PaymentMethod).

A mini session lists the methods it offers; ``methods_for`` keeps those this
deployment can actually take.
"""

from __future__ import annotations

from ..booking.catalog import MiniSession
from ..config import Settings
from .base import PaymentMethod
from .demo import DemoPayment
from .offline import OfflinePayment
from .stripe import STRIPE

METHODS: dict[str, PaymentMethod] = {m.key: m for m in (OfflinePayment(), DemoPayment(), STRIPE)}


def methods_for(mini: MiniSession, settings: Settings) -> list[PaymentMethod]:
    """The methods this mini session offers that are enabled here, in its order."""
    return [
        METHODS[key]
        for key in mini.method_keys
        if key in METHODS and METHODS[key].enabled(settings)
    ]
