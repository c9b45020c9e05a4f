"""Payment methods, each owning its whole flow behind one interface (base.PaymentMethod).

A process builds its methods from its settings (``PaymentMethods.from_settings``) and
passes them on; nothing here is configured globally.
"""

from .base import PaymentMethod, PaymentStart, PaymentUnavailable, RefundRequest
from .registry import METHOD_KEYS, PaymentMethods

__all__ = [
    "METHOD_KEYS",
    "PaymentMethod",
    "PaymentMethods",
    "PaymentStart",
    "PaymentUnavailable",
    "RefundRequest",
]
