"""Stripe Checkout, end to end: api.py (the account), attempts.py (sessions we asked for),
checkout.py (creating them), events.py (webhooks and returns), method.py (the method)."""

from .method import StripePayment

__all__ = ["StripePayment"]
