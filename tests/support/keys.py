"""A secret key strong enough for `minis serve` and `minis worker` (config.check_secret_key).

Made once with ``secrets.token_urlsafe(32)``; it is public, so it signs test data only.
"""

STRONG_SECRET_KEY = "jehu0x73UsE1LBv7sHaKc3aBeovdiv0Od5kb_2C0fGQ"
