"""The client's language: which one a request speaks, and the gettext catalogues.

Every client-facing word goes through ``gettext``/``ngettext`` here (``_`` in Python,
``{% trans %}``/``_()`` in templates). The language in force is a context variable, set
once per request (``web/language.py`` negotiates it) or per email (the lead's language),
so formatting (``formatting.py``) and templates follow it without passing it around.
Catalogues live in ``i18n/locale/<lang>/LC_MESSAGES/messages.po``; their compiled ``.mo``
files are committed beside them (``make i18n`` rebuilds both; a test fails when they are
stale).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.support import LazyProxy, NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
# Every language the client pages, the widget and the emails ship in, named in itself
# (the switcher's labels). Keys are the catalogue's folder names (Babel locale ids).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt_BR": "Português (Brasil)",
    "it": "Italiano",
    "nl": "Nederlands",
}

_current: ContextVar[str] = ContextVar("minis_language", default=DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language in force: a key of LANGUAGES."""
    return _current.get()


def current_locale() -> Locale:
    return _locale(_current.get())


def html_lang(language: str | None = None) -> str:
    """The BCP 47 tag for ``<html lang>`` and ``Content-Language``: ``pt-BR``, ``fr``."""
    return (language or _current.get()).replace("_", "-")


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


# Lower-cased tags and base languages to the shipped language they name, made once.
_BY_TAG = {key.lower(): key for key in LANGUAGES}
# A base language names itself when shipped, else its first shipped region (pt → pt_BR).
_BY_BASE: dict[str, str] = {}
for _key in LANGUAGES:
    _BY_BASE.setdefault(_key.split("_", 1)[0].lower(), _key)
_BY_BASE.update({tag: key for tag, key in _BY_TAG.items() if "_" not in tag})


def known_language(value: str | None) -> str | None:
    """A shipped language for a tag as people and browsers write it (``fr-CA`` → ``fr``,
    ``pt-br`` → ``pt_BR``, ``pt`` → ``pt_BR``), or None."""
    if not value:
        return None
    # A request asks several times (middleware, the studio's page, the layout): the same
    # few values, answered from memory.
    return _known_language(value)


@lru_cache(maxsize=512)
def _known_language(value: str) -> str | None:
    tag = value.strip().replace("-", "_")
    if not tag or len(tag) > 35:
        return None
    lowered = tag.lower()
    if lowered in _BY_TAG:
        return _BY_TAG[lowered]
    # A region we don't ship (pt_PT) still reads best in the one we do (pt_BR).
    return _BY_BASE.get(lowered.split("_", 1)[0])


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Speak ``language`` (or the default, for an unknown one) inside the block."""
    chosen = known_language(language) or DEFAULT_LANGUAGE
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def set_language(language: str | None) -> str:
    """Speak ``language`` for the rest of this context (a request's task)."""
    chosen = known_language(language) or DEFAULT_LANGUAGE
    _current.set(chosen)
    return chosen


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of a language, read once per process."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    found = Translations.load(str(LOCALE_DIR), [language], domain="messages")
    return found


def gettext(message: str) -> str:
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_current.get()).upgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).unpgettext(context, singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """For text fixed at import (module constants): translated when it is shown."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def install_in(env: Environment) -> None:
    """Give a Jinja environment ``{% trans %}``, ``_()``, ``ngettext()`` and ``pgettext()``
    that follow the language in force (newstyle: ``_("Hi %(name)s", name=n)``, escaped
    like any other value in an autoescaped template)."""
    env.add_extension("jinja2.ext.i18n")
    # Whitespace in {% trans %} blocks collapsed, as `make i18n` extracts them (babel.cfg
    # says `trimmed`): a block that spans lines must look its message up the same way.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    # Jinja's newstyle callables, each calling ours directly: Jinja's own pass every
    # message through the template context's ``call`` once more, and ``_`` twice more (it
    # looks ``gettext`` up by name on every call); a page says a few dozen messages.
    env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
        current_language=current_language,
        html_lang=html_lang,
    )


# As jinja2.ext's _make_new_gettext and friends make them: the message marked safe in an
# autoescaped template, then always %-formatted with the keyword arguments.
@pass_context
def _template_gettext(__context: Context, __string: str, **variables: Any) -> str:
    rv = gettext(__string)
    if __context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


@pass_context
def _template_ngettext(
    __context: Context, __singular: str, __plural: str, __num: int, **variables: Any
) -> str:
    variables.setdefault("num", __num)
    rv = ngettext(__singular, __plural, __num)
    if __context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


@pass_context
def _template_pgettext(
    __context: Context, __string_ctx: str, __string: str, **variables: Any
) -> str:
    variables.setdefault("context", __string_ctx)
    rv = pgettext(__string_ctx, __string)
    if __context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


@pass_context
def _template_npgettext(
    __context: Context,
    __string_ctx: str,
    __singular: str,
    __plural: str,
    __num: int,
    **variables: Any,
) -> str:
    variables.setdefault("context", __string_ctx)
    variables.setdefault("num", __num)
    rv = npgettext(__string_ctx, __singular, __plural, __num)
    if __context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables
