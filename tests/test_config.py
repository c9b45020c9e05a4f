"""Settings from the environment: defaults, and failures that name the setting."""

from __future__ import annotations

import pytest

from widget_server.config import DEMO_SECRET_KEY, ConfigError, load_settings
from widget_server.mail.smtp import parse_smtp_url

GOOD = {"MINIS_SECRET_KEY": "a-long-enough-secret-key"}


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.database_url == "sqlite:///./minis.db"
    assert settings.base_url == "http://127.0.0.1:8000" and not settings.demo


def test_secret_key_is_required_outside_demo_mode() -> None:
    with pytest.raises(ConfigError, match="MINIS_SECRET_KEY"):
        load_settings({})
    assert load_settings({}, demo=True).secret_key == DEMO_SECRET_KEY
    assert load_settings({"MINIS_DEMO": "1"}).demo


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
        ({"MINIS_REQUEST_BODY_TIMEOUT": "soon"}, "MINIS_REQUEST_BODY_TIMEOUT"),
        ({"MINIS_REQUEST_BODY_TIMEOUT": "0"}, "MINIS_REQUEST_BODY_TIMEOUT"),
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
            "STRIPE_SECRET_KEY": "sk_test_x",
        }
    )
    assert settings.database_url == "postgresql://u:p@db/minis"
    assert settings.base_url == "https://book.example.com"
    assert settings.smtp_url == "smtps://u:p@mail:465"
    assert settings.stripe_secret_key == "sk_test_x"
    assert settings.request_body_timeout == 30
    assert load_settings({**GOOD, "MINIS_REQUEST_BODY_TIMEOUT": "7.5"}).request_body_timeout == 7.5


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
