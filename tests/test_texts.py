"""The photographer's own texts per language: written on the mini session's form, shown in
the language in force with the studio's default language where none was written, copied
with a duplicate, and the contract signed in the client's language kept as they read it."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import start
from tests.support.queries import rows
from tests.support.texts import translate_mini_title
from tests.support.world import World
from tests.test_admin_settings import field_error, save, valid_form
from widget_server.booking.catalog import bookable_mini_session, public_mini_sessions
from widget_server.booking.contracts import (
    check_signature,
    contract_text,
    record_signature,
    signature_of,
    text_hash,
)
from widget_server.booking.email_facts import FACTS_KEY, read_facts, take_facts
from widget_server.booking.questions import questions_of
from widget_server.booking.views import load_booking_by_id
from widget_server.db.tables import bookings, leads, mini_sessions, studios, text_translations
from widget_server.demo import seed_demo
from widget_server.i18n import set_language, use_language
from widget_server.studio.texts import field_name

FORM = {
    "title": "Spring Minis",
    "slug": "spring-26",
    "description": "Blossoms in the park.",
    "price": "150",
    "visibility": "public",
    "booking_process": "quote",
    "methods": ["offline"],
    "hold_minutes": "15",
    "min_notice_hours": "0",
    "change_cutoff_hours": "24",
    "cancel_refund_policy": "none",
    "reminder_hours": "24",
    "offline_pay_hours": "72",
    "claim_window_minutes": "120",
    "confirmation_notice": "Wear blue.",
    "terms": "",
    "contract": "I, {{ client_name }}, agree.",
    "party_included": "1",
    "party_max": "1",
    "question-0-label": "Who is coming?",
    "question-0-kind": "single",
    "question-0-choices": "Kids\nAdults",
    "question-0-position": "1",
}


def post(client: TestClient, path: str, data: dict[str, Any], form: str = "") -> Any:
    """POST ``data`` with the CSRF token of the page at ``form`` (default: ``path``)."""
    token = csrf_from(client.get(form or path).text)
    return client.post(path, data={"csrf": token, **data})


def new_mini(client: TestClient) -> int:
    response = post(client, "/admin/minis/new", FORM)
    assert response.status_code == 303, response.text
    match = re.match(r"^/admin/minis/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def question_id(db_url: str, mini_id: int) -> int:
    from widget_server.db.tables import questions

    [row] = rows(db_url, sa.select(questions.c.id).where(questions.c.mini_session_id == mini_id))
    return int(row["id"])


def edit_form(client: TestClient, mini_id: int, qid: int, extra: dict[str, str]) -> dict[str, Any]:
    return {**FORM, "question-0-id": str(qid), **extra}


def stored(db_url: str) -> dict[tuple[str, int, str, str], str]:
    found = rows(db_url, sa.select(text_translations))
    return {(r["owner_kind"], r["owner_id"], r["field"], r["language"]): r["text"] for r in found}


def translate(client: TestClient, db_url: str) -> tuple[int, int]:
    """A mini session with French texts and a question translated into French."""
    mini_id = new_mini(client)
    qid = question_id(db_url, mini_id)
    response = post(
        client,
        f"/admin/minis/{mini_id}/edit",
        edit_form(
            client,
            mini_id,
            qid,
            {
                field_name("fr", "title"): "Minis du printemps",
                field_name("fr", "description"): "Des fleurs dans le parc.",
                field_name("fr", "confirmation_notice"): "Portez du bleu.",
                field_name("fr", "contract"): "Je soussigné(e), {{ client_name }}, accepte.",
                field_name("fr", "label", qid): "Qui vient ?",
                field_name("fr", "choices", qid): "Enfants\nAdultes",
                field_name("de", "title"): "Frühlings-Minis",
            },
        ),
    )
    assert response.status_code == 303, response.text
    return mini_id, qid


def test_saved_per_language_and_shown_again(client: TestClient, acme: World, db_url: str) -> None:
    mini_id, qid = translate(client, db_url)
    assert stored(db_url) == {
        ("mini_session", mini_id, "title", "fr"): "Minis du printemps",
        ("mini_session", mini_id, "description", "fr"): "Des fleurs dans le parc.",
        ("mini_session", mini_id, "confirmation_notice", "fr"): "Portez du bleu.",
        ("mini_session", mini_id, "contract", "fr"): "Je soussigné(e), {{ client_name }}, accepte.",
        ("question", qid, "label", "fr"): "Qui vient ?",
        ("question", qid, "choices", "fr"): "Enfants\nAdultes",
        ("mini_session", mini_id, "title", "de"): "Frühlings-Minis",
    }
    page = unescape(client.get(f"/admin/minis/{mini_id}/edit").text)
    assert f'name="{field_name("fr", "title")}" type="text" value="Minis du printemps"' in page
    assert f'name="{field_name("de", "title")}" type="text" value="Frühlings-Minis"' in page
    assert f'name="{field_name("es", "title")}" type="text" value=""' in page
    # The studio's own language (English here) has no translation fields: it is the form.
    assert field_name("en", "title") not in page
    assert "Enfants\nAdultes</textarea>" in page
    # The default-language fields still hold the default texts (not a translation).
    assert 'name="title" type="text" value="Spring Minis"' in page
    assert 'value="Who is coming?"' in page

    # Emptying a field removes that translation; the others stay.
    post(
        client,
        f"/admin/minis/{mini_id}/edit",
        edit_form(client, mini_id, qid, {field_name("fr", "title"): "Minis du printemps"}),
    )
    assert stored(db_url) == {("mini_session", mini_id, "title", "fr"): "Minis du printemps"}


def test_the_language_in_force_or_the_default(client: TestClient, acme: World, db_url: str) -> None:
    mini_id, _qid = translate(client, db_url)

    async def work(db: Database) -> dict[str, tuple[str, ...]]:
        seen: dict[str, tuple[str, ...]] = {}
        for language in ("fr", "de", "es", "en"):
            with use_language(language):
                found = await bookable_mini_session(db, "acme", "spring-26")
                assert found is not None
                _studio, mini = found
                [question] = await questions_of(db, mini_id)
                listed = [m for m in await public_mini_sessions(db, _studio.id) if m.id == mini_id]
                assert listed[0].title == mini.title
                seen[language] = (
                    mini.title,
                    mini.description,
                    mini.confirmation_notice,
                    question.label,
                    *question.choices,
                )
        # The dashboard reads the questions as written, whatever the language in force.
        with use_language("fr"):
            [as_written] = await questions_of(db, mini_id, as_written=True)
            assert as_written.label == "Who is coming?"
        return seen

    seen = run_db(db_url, work)
    assert seen["fr"] == (
        "Minis du printemps",
        "Des fleurs dans le parc.",
        "Portez du bleu.",
        "Qui vient ?",
        "Enfants",
        "Adultes",
    )
    # German has a title only: the rest falls back to the studio's language.
    assert seen["de"] == (
        "Frühlings-Minis",
        "Blossoms in the park.",
        "Wear blue.",
        "Who is coming?",
        "Kids",
        "Adults",
    )
    assert (
        seen["es"]
        == seen["en"]
        == (
            "Spring Minis",
            "Blossoms in the park.",
            "Wear blue.",
            "Who is coming?",
            "Kids",
            "Adults",
        )
    )


def test_hostile_input_gets_field_errors(client: TestClient, acme: World, db_url: str) -> None:
    mini_id, qid = translate(client, db_url)
    before = stored(db_url)
    bad = {
        field_name("es", "title"): "Mini\x00sesiones",
        field_name("es", "description"): "x" * 20_001,
        field_name("it", "label", qid): "y" * 201,
        field_name("nl", "choices", qid): "Alleen kinderen",  # one choice where two are asked
        field_name("pt_BR", "contract"): "Eu, {{ client_name }",  # a broken placeholder
    }
    response = post(client, f"/admin/minis/{mini_id}/edit", edit_form(client, mini_id, qid, bad))
    assert response.status_code == 400
    page = unescape(response.text)
    for name in bad:
        assert f'href="#{name}"' in page, name
        assert f'id="{name}-error"' in page, name
    assert "can't be saved (a NUL)" in page
    assert "Give the same 2 choices" in page
    # The languages with a mistake open by themselves.
    for code in ("es", "it", "nl", "pt_BR"):
        assert f'<details class="translation" data-language="{code}" open>' in page
    assert '<details class="translation" data-language="de">' in page
    assert stored(db_url) == before


def test_other_studios_texts_are_out_of_reach(client: TestClient, acme: World, db_url: str) -> None:
    mini_id, qid = translate(client, db_url)
    [rival] = rows(
        db_url,
        sa.select(mini_sessions.c.id)
        .join(studios, studios.c.id == mini_sessions.c.studio_id)
        .where(studios.c.slug == "rival")
        .limit(1),
    )
    rival_id = int(rival["id"])
    assert client.get(f"/admin/minis/{rival_id}/edit").status_code == 404
    response = post(
        client,
        f"/admin/minis/{rival_id}/edit",
        {**FORM, field_name("fr", "title"): "Volé"},
        "/admin/minis/new",
    )
    assert response.status_code == 404
    # A question id of another mini session in a field name writes nothing.
    response = post(
        client,
        f"/admin/minis/{mini_id}/edit",
        edit_form(client, mini_id, qid, {field_name("fr", "label", qid + 1000): "Autre"}),
    )
    assert response.status_code == 303
    assert all(key[1] != qid + 1000 for key in stored(db_url))
    assert all(key[1] != rival_id or key[0] != "mini_session" for key in stored(db_url))


def test_duplicate_copies_the_translations(client: TestClient, acme: World, db_url: str) -> None:
    mini_id, qid = translate(client, db_url)
    response = post(client, f"/admin/minis/{mini_id}/duplicate", {}, "/admin/minis")
    assert response.status_code == 303
    copy = int(re.match(r"^/admin/minis/(\d+)/edit", response.headers["location"]).group(1))  # type: ignore[union-attr]
    copy_qid = question_id(db_url, copy)
    assert copy_qid != qid
    texts = stored(db_url)
    assert texts[("mini_session", copy, "title", "fr")] == "Minis du printemps"
    assert texts[("mini_session", copy, "title", "de")] == "Frühlings-Minis"
    assert texts[("question", copy_qid, "label", "fr")] == "Qui vient ?"
    assert texts[("question", copy_qid, "choices", "fr")] == "Enfants\nAdultes"
    page = unescape(client.get(f"/admin/minis/{copy}/edit").text)
    assert f'name="{field_name("fr", "label", copy_qid)}" type="text" value="Qui vient ?"' in page


def test_contract_signed_in_french_keeps_the_french_text(
    client: TestClient, acme: World, db_url: str
) -> None:
    portraits = acme.mini_ids["portraits"]

    async def write(db: Database) -> None:
        await db.execute(
            mini_sessions.update()
            .where(mini_sessions.c.id == portraits)
            .values(contract="I, {{ client_name }}, agree.")
        )

    run_db(db_url, write)
    page = unescape(client.get(f"/admin/minis/{portraits}/edit").text)
    assert 'name="contract"' in page
    values = {
        name: value
        for name, value in re.findall(
            r'name="([^"]+)" type="(?:text|number)" value="([^"]*)"', page
        )
    }
    # Re-post the form as it stands, with the contract in French.
    response = post(
        client,
        f"/admin/minis/{portraits}/edit",
        {
            **FORM,
            **{k: v for k, v in values.items() if not k.startswith("question-")},
            "slug": "portraits",
            "methods": ["demo", "offline"],
            "question-0-label": "",
            field_name("fr", "contract"): "Je soussigné(e), {{ client_name }}, accepte.",
        },
    )
    assert response.status_code == 303, response.text
    start(client, acme.slots["portraits"][0])
    [booking] = rows(
        db_url, sa.select(bookings.c.id).where(bookings.c.slot_id == acme.slots["portraits"][0])
    )

    async def sign(db: Database) -> tuple[str, str, str]:
        view = await load_booking_by_id(db, int(booking["id"]))
        assert view is not None
        in_english = contract_text(view)
        with use_language("fr"):
            view = await load_booking_by_id(db, int(booking["id"]))
            assert view is not None
            shown = contract_text(view)
            signature = check_signature(
                view,
                shown_sha256=text_hash(shown),
                typed_name="Ada Lovelace",
                agreed=True,
                ip_address="127.0.0.1",
                user_agent="test",
            )
            await record_signature(db, view.id, signature, view.starts_at)
        kept = await signature_of(db, int(booking["id"]))
        assert kept is not None
        return in_english, shown, kept.text

    in_english, shown, kept = run_db(db_url, sign)
    assert in_english.startswith("I, Ada Lovelace, agree.")
    assert shown.startswith("Je soussigné(e), Ada Lovelace, accepte.")
    assert kept == shown


def test_the_studio_default_language(client: TestClient, acme: World, db_url: str) -> None:
    page = client.get("/admin/settings").text
    # Each language named in itself, the studio's own selected.
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="pt_BR" lang="pt-BR">Português (Brasil)</option>' in page
    assert '<option value="de" lang="de">Deutsch</option>' in page

    for hostile in ("xx", "fr-FR", "", "fr\x00", "de" * 1000):
        response = save(client, default_language=hostile)
        assert response.status_code == 400, hostile
        assert field_error(unescape(response.text), "default_language") in (
            "Please choose a language from the list.",
            "This contains a character that can't be saved (a NUL). Please type it again.",
        )
    [row] = rows(db_url, sa.select(studios.c.default_language).where(studios.c.slug == "acme"))
    assert row["default_language"] == "en"

    response = save(client, default_language="fr")
    assert response.status_code == 303, response.text
    [row] = rows(db_url, sa.select(studios.c.default_language).where(studios.c.slug == "acme"))
    assert row["default_language"] == "fr"
    assert (
        '<option value="fr" lang="fr" selected>Français</option>'
        in client.get("/admin/settings").text
    )
    # The texts are now written in French: French is the form, English a translation.
    edit = client.get(f"/admin/minis/{acme.mini_ids['portraits']}/edit").text
    assert field_name("fr", "title") not in edit
    assert f'name="{field_name("en", "title")}"' in edit
    assert "which are in Français" in unescape(edit)
    # A form from before languages (no such field) keeps the language.
    token = csrf_from(client.get("/admin/settings").text)
    response = client.post(
        "/admin/settings",
        data={**valid_form(), "csrf": token},
        files={"logo": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 303
    [row] = rows(db_url, sa.select(studios.c.default_language).where(studios.c.slug == "acme"))
    assert row["default_language"] == "fr"


def test_the_demo_speaks_three_more_languages(db_url: str, clock: FakeClock) -> None:
    async def work(db: Database) -> dict[str, tuple[str, str, str]]:
        await seed_demo(db, clock())
        seen = {}
        for language in ("es", "fr", "de", "it"):
            with use_language(language):
                found = await bookable_mini_session(db, "demo", "fall-minis")
                family = await bookable_mini_session(db, "demo", "family-minis")
                santa = await bookable_mini_session(db, "demo", "santa-minis")
                assert found and family and santa
                [who, *_rest] = await questions_of(db, family[1].id)
                seen[language] = (found[1].title, family[1].title, santa[1].title, who.label)
        return seen

    seen = run_db(db_url, work)
    assert seen["es"] == ("Minis de otoño", "Minis en familia", "Santa Minis", "¿Quién viene?")
    assert seen["fr"] == ("Minis d'automne", "Minis en famille", "Santa Minis", "Qui vient ?")
    assert seen["de"] == ("Herbst-Minis", "Familien-Minis", "Santa Minis", "Wer kommt mit?")
    # No Italian texts in the demo: the studio's English.
    assert seen["it"] == ("Fall Minis", "Family Minis", "Santa Minis", "Who is coming?")


def test_an_email_carries_the_texts_in_the_clients_language(
    client: TestClient, acme: World, db_url: str
) -> None:
    """Queued by the dashboard or the upkeep (English in force), a French client's email
    still has the French title: the facts are taken in the email's language."""
    portraits = acme.mini_ids["portraits"]
    start(client, acme.slots["portraits"][0])
    [booking] = rows(
        db_url, sa.select(bookings.c.id).where(bookings.c.slot_id == acme.slots["portraits"][0])
    )

    async def work(db: Database) -> tuple[str, str | None]:
        await translate_mini_title(db, portraits, "fr", "Portraits d'automne")
        lead_id = await db.fetch_val(
            sa.select(bookings.c.lead_id).where(bookings.c.id == int(booking["id"]))
        )
        await db.execute(leads.update().where(leads.c.id == lead_id).values(language="fr"))
        with use_language("en"):
            facts = read_facts({FACTS_KEY: await take_facts(db, int(booking["id"]))})
        assert facts is not None
        return facts.booking.mini.title, facts.language

    assert run_db(db_url, work) == ("Portraits d'automne", "fr")


def test_a_page_that_falls_to_the_studio_language_reads_its_texts_in_it(
    acme: World, db_url: str
) -> None:
    """A French studio with an English translation: a client who named no language gets
    the French page, so the French texts, once the page settles its language first."""
    portraits = acme.mini_ids["portraits"]

    async def work(db: Database) -> tuple[str, str]:
        await db.execute(
            studios.update().where(studios.c.slug == "acme").values(default_language="fr")
        )
        await db.execute(
            mini_sessions.update().where(mini_sessions.c.id == portraits).values(title="Portraits")
        )
        await translate_mini_title(db, portraits, "en", "Portrait sessions")
        with use_language("en"):
            english = await bookable_mini_session(db, "acme", "portraits")
            settled = await bookable_mini_session(
                db, "acme", "portraits", speak_for=lambda s: set_language(s.default_language)
            )
        assert english and settled
        return english[1].title, settled[1].title

    assert run_db(db_url, work) == ("Portrait sessions", "Portraits")


def test_the_pages_settle_their_language_before_reading_the_texts(
    client: TestClient, acme: World, db_url: str
) -> None:
    """Over HTTP: with no language named, the studio's French pages show the French title,
    not the English translation read before the page fell to the studio's language."""
    test_a_page_that_falls_to_the_studio_language_reads_its_texts_in_it(acme, db_url)
    for path in ("/acme", "/acme/portraits"):
        page = client.get(path)
        assert '<html lang="fr"' in page.text, path
        assert "Portraits" in page.text and "Portrait sessions" not in page.text, path
    english = client.get("/acme/portraits?lang=en")
    assert "Portrait sessions" in english.text
