"""Settings from the environment: defaults, and failures that name the setting."""

from __future__ import annotations

import pytest

from tests.support.keys import STRONG_SECRET_KEY
from widget_server.app import app_from_env
from widget_server.config import DEMO_SECRET_KEY, ConfigError, load_settings
from widget_server.smtp_url import parse_smtp_url

GOOD = {"MINIS_SECRET_KEY": STRONG_SECRET_KEY}
MAKE_A_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.database_url == "sqlite:///./minis.db"
    assert settings.base_url == "http://127.0.0.1:8000" and not settings.demo


def test_secret_key_is_required_outside_demo_mode() -> None:
    with pytest.raises(ConfigError, match="MINIS_SECRET_KEY"):
        load_settings({})
    assert load_settings({}, demo=True).secret_key == DEMO_SECRET_KEY


WEAK_KEYS = [
    DEMO_SECRET_KEY,  # public: it is in the source
    "a" * 16,
    "a" * 64,  # long, but one character
    "passwordpasswordpasswordpassword",  # 32 characters, 7 different ones
    "x" * 20,
    "a-long-enough-secret-key",  # 24 characters: too short to be a random key
    "0123456789abcdef0123456789abcde",  # 31 characters
]


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_weak_or_public_secret_keys_are_refused_outside_the_demo(key: str) -> None:
    with pytest.raises(ConfigError, match="MINIS_SECRET_KEY") as refused:
        load_settings({"MINIS_SECRET_KEY": key})
    assert MAKE_A_KEY in str(refused.value)
    assert load_settings({"MINIS_SECRET_KEY": key}, demo=True).secret_key == key


@pytest.mark.parametrize(
    "key",
    [
        STRONG_SECRET_KEY,
        "0123456789abcdef0123456789abcdef",  # 32 hex digits, as secrets.token_hex(16) makes
        "correct horse battery staple and a long tail",
    ],
)
def test_strong_secret_keys_are_taken(key: str) -> None:
    assert load_settings({"MINIS_SECRET_KEY": key}).secret_key == key


def test_demo_mode_is_only_for_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="MINIS_DEMO is only for `minis demo`"):
        load_settings({**GOOD, "MINIS_DEMO": "1"})
    assert not load_settings({**GOOD, "MINIS_DEMO": "0"}).demo
    assert load_settings({"MINIS_DEMO": "1"}, demo=True).demo
    # The factory each `minis serve` worker (or a bare uvicorn) builds the app with.
    monkeypatch.setenv("MINIS_SECRET_KEY", STRONG_SECRET_KEY)
    monkeypatch.setenv("MINIS_DEMO", "1")
    with pytest.raises(ConfigError, match="MINIS_DEMO"):
        app_from_env()
    monkeypatch.delenv("MINIS_DEMO")
    for key in (DEMO_SECRET_KEY, "a" * 16):
        monkeypatch.setenv("MINIS_SECRET_KEY", key)
        with pytest.raises(ConfigError, match="MINIS_SECRET_KEY"):
            app_from_env()


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"MINIS_SECRET_KEY": "short"}, "MINIS_SECRET_KEY"),
        ({"MINIS_DATABASE_URL": "mysql://x/y"}, "MINIS_DATABASE_URL"),
        ({"MINIS_BASE_URL": "ftp://x"}, "MINIS_BASE_URL"),
        ({"MINIS_SMTP_URL": "http://mail"}, "MINIS_SMTP_URL"),
        ({"MINIS_SMTP_URL": "smtp://mail?starttls=maybe"}, "MINIS_SMTP_URL"),
        ({"MINIS_SMTP_URL": "smtp://mail:notaport"}, "MINIS_SMTP_URL"),
        ({"MINIS_SMTP_URL": "smtp:///nohost"}, "MINIS_SMTP_URL"),
        ({"MINIS_REDIS_URL": "memcached://x"}, "MINIS_REDIS_URL"),
        ({"MINIS_DEMO": "maybe"}, "MINIS_DEMO"),
        ({"STRIPE_API_BASE": "localhost:12111"}, "STRIPE_API_BASE"),
        ({"MINIS_DATABSE_URL": "sqlite:///x.db"}, "MINIS_DATABSE_URL"),
        ({"MINIS_TRUSTED_PROXIES": "proxy.internal"}, "MINIS_TRUSTED_PROXIES"),
        ({"MINIS_TRUSTED_PROXIES": "10.0.0.1/8"}, "MINIS_TRUSTED_PROXIES"),  # host bits set
        ({"MINIS_TRUSTED_PROXIES": "*"}, "MINIS_TRUSTED_PROXIES"),
        ({"MINIS_HSTS_SECONDS": "-1"}, "MINIS_HSTS_SECONDS"),
        ({"MINIS_HSTS_SECONDS": "a year"}, "MINIS_HSTS_SECONDS"),
        ({"MINIS_HSTS_SECONDS": ""}, "MINIS_HSTS_SECONDS"),
        ({"MINIS_REQUEST_BODY_TIMEOUT": "soon"}, "MINIS_REQUEST_BODY_TIMEOUT"),
        ({"MINIS_REQUEST_BODY_TIMEOUT": "0"}, "MINIS_REQUEST_BODY_TIMEOUT"),
        ({"MINIS_AVAILABILITY_CACHE_SECONDS": "-1"}, "MINIS_AVAILABILITY_CACHE_SECONDS"),
        ({"MINIS_AVAILABILITY_CACHE_SECONDS": "11"}, "MINIS_AVAILABILITY_CACHE_SECONDS"),
        ({"MINIS_AVAILABILITY_CACHE_SECONDS": "a bit"}, "MINIS_AVAILABILITY_CACHE_SECONDS"),
        ({"MINIS_ACCESS_LOG": "sometimes"}, "MINIS_ACCESS_LOG"),
    ],
)
def test_invalid_values_name_the_setting(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({**GOOD, **env})


def test_values_are_read() -> None:
    settings = load_settings(
        {
            **GOOD,
            "MINIS_DATABASE_URL": "postgresql://u:p@db/minis",
            "MINIS_BASE_URL": "https://book.example.com/",
            "MINIS_SMTP_URL": "smtps://u:p@mail:465",
            "MINIS_MAIL_FROM": "Bookings <bookings@book.example.com>",
            "STRIPE_SECRET_KEY": "sk_test_x",
        }
    )
    assert settings.database_url == "postgresql://u:p@db/minis"
    assert settings.base_url == "https://book.example.com"
    assert settings.smtp_url == "smtps://u:p@mail:465"
    assert settings.mail_from == "Bookings <bookings@book.example.com>"
    assert settings.stripe_secret_key == "sk_test_x"
    assert settings.request_body_timeout == 30
    assert load_settings({**GOOD, "MINIS_REQUEST_BODY_TIMEOUT": "7.5"}).request_body_timeout == 7.5
    assert load_settings(GOOD).availability_cache_seconds == 1.0
    off = load_settings({**GOOD, "MINIS_AVAILABILITY_CACHE_SECONDS": "0"})
    assert off.availability_cache_seconds == 0
    assert load_settings(GOOD).access_log
    assert not load_settings({**GOOD, "MINIS_ACCESS_LOG": "off"}).access_log


def test_sending_email_needs_a_real_sender_address() -> None:
    smtp = {**GOOD, "MINIS_SMTP_URL": "smtp://mail.example.com:587"}
    with pytest.raises(ConfigError, match="MINIS_MAIL_FROM is required when MINIS_SMTP_URL"):
        load_settings(smtp)
    for bad in ("bookings@localhost", "Minis <bookings>", "a@b.example, c@d.example", "junk"):
        with pytest.raises(ConfigError, match="MINIS_MAIL_FROM must be one address"):
            load_settings({**smtp, "MINIS_MAIL_FROM": bad})
    for good in ("bookings@book.example.com", '"Acme, Inc." <hello@acme.example>'):
        assert load_settings({**smtp, "MINIS_MAIL_FROM": good}).mail_from == good
    # Without SMTP nothing is sent, so nothing is needed (emails wait in the outbox).
    assert load_settings(GOOD).smtp_url is None


def test_hsts_lasts_a_year_unless_set() -> None:
    assert load_settings(GOOD).hsts_seconds == 365 * 24 * 3600
    assert load_settings({**GOOD, "MINIS_HSTS_SECONDS": "0"}).hsts_seconds == 0
    assert load_settings({**GOOD, "MINIS_HSTS_SECONDS": "600"}).hsts_seconds == 600


def test_no_proxy_is_trusted_unless_named() -> None:
    assert load_settings(GOOD).trusted_proxies == ()
    proxies = load_settings({**GOOD, "MINIS_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8,,::1 "})
    assert proxies.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.test", ("mail.test", 587, None, None, False, None)),
        ("smtp://u%40x:p%3Aw@mail.test:25", ("mail.test", 25, "u@x", "p:w", False, None)),
        ("smtp://mail.test?starttls=require", ("mail.test", 587, None, None, False, True)),
        ("smtp://mail.test:2525?starttls=off", ("mail.test", 2525, None, None, False, False)),
        ("smtps://u:p@mail.test", ("mail.test", 465, "u", "p", True, None)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    c = parse_smtp_url(url)
    assert (c.hostname, c.port, c.username, c.password, c.use_tls, c.start_tls) == expected


def test_background_jobs_run_in_process_unless_a_worker_takes_them() -> None:
    default = load_settings(GOOD)
    assert default.run_sweeper and default.run_mailer
    scaled = load_settings({**GOOD, "MINIS_BACKGROUND_JOBS": "worker"})
    assert not scaled.run_sweeper and not scaled.run_mailer
    with pytest.raises(ConfigError, match="MINIS_BACKGROUND_JOBS"):
        load_settings({**GOOD, "MINIS_BACKGROUND_JOBS": "cron"})


def test_hold_limits_are_rates_or_none() -> None:
    default = load_settings(GOOD)
    assert (default.holds_per_address, default.holds_per_email) == ("20/hour", "8/hour")
    custom = load_settings(
        {**GOOD, "MINIS_HOLDS_PER_ADDRESS": "100 per day", "MINIS_HOLDS_PER_EMAIL": "none"}
    )
    assert (custom.holds_per_address, custom.holds_per_email) == ("100 per day", None)
    with pytest.raises(ConfigError, match="MINIS_HOLDS_PER_EMAIL"):
        load_settings({**GOOD, "MINIS_HOLDS_PER_EMAIL": "lots"})
