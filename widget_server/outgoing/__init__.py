"""Outgoing webhooks: Standard Webhooks signatures, the address guard, and the sender loop.
The deliveries themselves are rows (db/webhook_outbox.py) written with each change."""
