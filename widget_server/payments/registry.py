"""The payment methods of one deployment, built from its settings where a process starts.

A mini session lists the methods it offers and the studio the methods it takes
(``booking.catalog.offered_method_keys``); ``offered`` keeps those this deployment
can take. Methods that are switched off stay registered, so payments they once took
can still be refunded (or say clearly why not).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..booking.catalog import MiniSession, Studio, offered_method_keys
from ..config import Settings
from .base import PaymentMethod
from .demo import DemoPayment
from .offline import OfflinePayment
from .stripe import StripePayment

# Every method Minis has, in the order a new studio takes them.
METHOD_KEYS = (OfflinePayment.key, DemoPayment.key, StripePayment.key)


class PaymentMethods(Mapping[str, PaymentMethod]):
    """The methods by key::

    methods = PaymentMethods.from_settings(settings)
    methods.offered(studio, mini)  # what a client may pay with, in the session's order
    """

    def __init__(self, methods: list[PaymentMethod]) -> None:
        self._methods = {method.key: method for method in methods}

    @classmethod
    def from_settings(cls, settings: Settings) -> PaymentMethods:
        return cls(
            [
                OfflinePayment(),
                DemoPayment(enabled=settings.demo),
                StripePayment(
                    secret_key=settings.stripe_secret_key,
                    webhook_secret=settings.stripe_webhook_secret,
                    api_base=settings.stripe_api_base,
                ),
            ]
        )

    def __getitem__(self, key: str) -> PaymentMethod:
        return self._methods[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)

    def available(self) -> list[PaymentMethod]:
        """Every method this deployment can take (what a studio may switch on)."""
        return [method for method in self._methods.values() if method.enabled]

    def offered(self, studio: Studio, mini: MiniSession) -> list[PaymentMethod]:
        """The methods a client is offered for ``mini``: its own, that the studio takes and
        that are enabled here, in the mini session's order."""
        return [
            self._methods[key]
            for key in offered_method_keys(studio, mini)
            if key in self._methods and self._methods[key].enabled
        ]

    def form_origins(self) -> list[str]:
        """Where our pages' forms may send the client (CSP ``form-action``)."""
        return [origin for method in self.available() for origin in method.form_origins]
