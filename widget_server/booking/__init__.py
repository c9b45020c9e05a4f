"""The domain: slots, availability, holds, leads, quotes, bookings.

Plain async functions over a ``databases.Database``; nothing here knows about
HTTP. Every function that depends on the time takes ``now`` explicitly so tests
can move the clock.
"""
