"""Payment methods behind one small interface (base.PaymentMethod).

A mini session lists the methods it offers, the studio the methods it takes
(booking.catalog.offered_method_keys); ``methods_for`` keeps those this deployment
can actually take.
"""

from __future__ import annotations

from ..booking.catalog import MiniSession, Studio, offered_method_keys
from ..config import Settings
from .base import PaymentMethod
from .demo import DemoPayment
from .offline import OfflinePayment
from .stripe import STRIPE

METHODS: dict[str, PaymentMethod] = {m.key: m for m in (OfflinePayment(), DemoPayment(), STRIPE)}


def methods_for(studio: Studio, mini: MiniSession, settings: Settings) -> list[PaymentMethod]:
    """The methods a client is offered for this mini session: its own, that the studio
    takes and that are enabled here, in the mini session's order."""
    return [
        METHODS[key]
        for key in offered_method_keys(studio, mini)
        if key in METHODS and METHODS[key].enabled(settings)
    ]


def available_methods(settings: Settings) -> list[PaymentMethod]:
    """Every method this deployment can take (what the studio's settings offer to switch on)."""
    return [method for method in METHODS.values() if method.enabled(settings)]
