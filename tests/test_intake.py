"""Intake at booking: the photographer's questions and a signed contract, end to end over
HTTP on both databases (pages, dashboard, CSV, emails through real SMTP, the PDF)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from email.message import EmailMessage
from typing import Any

import pypdf
import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import CLIENT, pay_demo, submit_details, token_from
from tests.support.mail import deliver, set_mini
from tests.support.queries import rows
from tests.support.smtp import SmtpServer
from tests.support.world import World
from widget_server.config import Settings
from widget_server.db.tables import (
    answers,
    bookings,
    contract_signatures,
    mini_sessions,
    payments,
    questions,
    studios,
)

HOSTILE = '<script>alert("x")</script>=HYPERLINK("http://evil")'

QUESTIONS = [
    # kind, label, required, choices
    ("short", "Who is coming?", True, []),
    ("several", "Which shots?", False, ["Whole family", "Kids only", "<b>Dog</b>"]),
    ("select", "Outfit colour", False, ["Rust", "Cream"]),
    ("single", "Session style", True, ["Posed", "Candid"]),
    ("number", "How many children?", False, []),
    ("date", "Youngest's birthday", False, []),
    ("yesno", "Bringing a pet?", True, []),
    ("long", "Anything else?", False, []),
]
CONTRACT = (
    "# Agreement\n\nI, **{{ client_name }}**, book {{ session }} on {{ date }} at {{ time }}, "
    "{{ place }}, for {{ price }}."
)


def add_questions(
    db_url: str, slug: str, specs: list[tuple[str, str, bool, list[str]]]
) -> list[int]:
    async def work(db: Database) -> list[int]:
        mini_id = await db.fetch_val(
            sa.select(mini_sessions.c.id)
            .where(mini_sessions.c.slug == slug)
            .order_by(mini_sessions.c.id)
            .limit(1)
        )
        ids = []
        for position, (kind, label, required, choices) in enumerate(specs, start=1):
            ids.append(
                await db.execute(
                    questions.insert().values(
                        mini_session_id=mini_id,
                        kind=kind,
                        label=label,
                        help=f"Help for {label}",
                        required=required,
                        position=position,
                        choices=json.dumps(choices),
                    )
                )
            )
        return ids

    return run_db(db_url, work)


def good_answers(ids: list[int]) -> dict[str, Any]:
    q = [f"q{i}" for i in ids]
    return {
        q[0]: HOSTILE,
        q[1]: ["<b>Dog</b>", "Whole family"],
        q[2]: "Cream",
        q[3]: "Candid",
        q[4]: "3",
        q[5]: "2021-05-04",
        q[6]: "yes",
        q[7]: "=SUM(A1)\r\nLine two",
    }


def test_questions_are_asked_accessibly_checked_and_nothing_is_lost(
    client: TestClient, world: World, db_url: str
) -> None:
    ids = add_questions(db_url, "portraits", QUESTIONS)
    [other] = add_questions(db_url, "family", [("short", "Other session's", False, [])])
    slot = world.slots["portraits"][0]
    page = client.get(f"/acme/portraits/book?slot={slot}").text
    # Grouped answers are fieldsets with a legend; every input is labelled and described.
    assert re.search(r'<fieldset class="field question"[^>]*>\s*<legend>Which shots\?', page)
    assert f'<label for="q{ids[0]}">Who is coming?' in page
    assert f'aria-describedby="q{ids[0]}-hint"' in page

    q = [f"q{i}" for i in ids]
    bad = {
        q[0]: "x" * 201,
        q[1]: ["Kids only", "Never offered"],
        q[2]: "Purple",
        q[3]: "",
        q[4]: "-1",
        q[5]: "2026-02-30",
        q[6]: "maybe",
        q[7]: "bell\x07",
        f"q{other}": "sneaked in",
    }
    response = submit_details(client, slot, name="", **bad)
    assert response.status_code == 422
    html = response.text
    summary = html[html.index("error-summary") : html.index("</ul>")]
    # Every field's message, in the summary (announced: role=alert) and by the field.
    for field in ["name", *q]:
        assert f'href="#{field}"' in summary, field
        assert f'id="{field}-error"' in html, field
    assert 'role="alert"' in summary
    # Nothing typed is lost: the email, the phone and the valid choice come back.
    assert f'value="{CLIENT["email"]}"' in html
    assert re.search(r'value="Kids only" checked', html)
    assert rows(db_url, sa.select(answers)) == []

    # Another mini session's question in the form is never stored.
    response = submit_details(client, slot, **good_answers(ids), **{f"q{other}": "sneaked in"})
    assert response.status_code == 303, response.text
    stored = rows(db_url, sa.select(answers).order_by(answers.c.position))
    assert [r["question_id"] for r in stored] == ids
    by_label = {r["label"]: r["value"] for r in stored}
    assert by_label["Who is coming?"] == " ".join(HOSTILE.split())
    assert by_label["Which shots?"] == "Whole family\n<b>Dog</b>"  # in the order offered
    assert by_label["Bringing a pet?"] == "Yes"
    assert by_label["Anything else?"] == "=SUM(A1)\nLine two"
    assert by_label["How many children?"] == "3"


def test_answers_keep_their_wording_show_everywhere_escaped_and_are_corrected_until_cutoff(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    ids = add_questions(db_url, "portraits", QUESTIONS)
    set_mini(db_url, "portraits", change_cutoff_hours=12)
    slot = acme.slots["portraits"][0]
    token = token_from(submit_details(client, slot, **good_answers(ids)))
    assert pay_demo(client, token).status_code == 303

    # The photographer rewords one question and removes another: the answers keep theirs.
    async def edit(db: Database) -> None:
        await db.execute(questions.update().where(questions.c.id == ids[0]).values(label="Names"))
        await db.execute(questions.update().where(questions.c.id == ids[7]).values(removed=True))

    run_db(db_url, edit)
    confirmation = client.get(f"/b/{token}").text
    assert "Who is coming?" in confirmation and "Names" not in confirmation
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in confirmation
    assert "<script>alert" not in confirmation

    booking_id = rows(db_url, sa.select(answers.c.booking_id))[0]["booking_id"]
    admin_page = client.get(f"/admin/bookings/{booking_id}").text
    assert "Who is coming?" in admin_page and "&lt;script&gt;" in admin_page
    assert "<script>alert" not in admin_page and "&lt;b&gt;Dog&lt;/b&gt;" in admin_page
    day_id = re.search(r'href="/admin/minis/\d+/days/(\d+)"', admin_page)
    assert day_id
    sheet = client.get(f"/admin/minis/{acme.mini_ids['portraits']}/days/{day_id.group(1)}").text
    assert "Who is coming?" in sheet and "&lt;script&gt;" in sheet and "<script>alert" not in sheet

    export = client.get("/admin/bookings.csv?status=all")
    assert export.status_code == 200
    table = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    header, record = table[0], next(r for r in table[1:] if r[0].startswith("M-"))
    assert header[-8:] == [
        "Who is coming?",
        "Which shots?",
        "Outfit colour",
        "Session style",
        "How many children?",
        "Youngest's birthday",
        "Bringing a pet?",
        "Anything else?",
    ]
    cells = dict(zip(header, record, strict=True))
    assert cells["Who is coming?"] == " ".join(HOSTILE.split())
    # An answer that a spreadsheet would run as a formula stays text.
    assert cells["Anything else?"] == "'=SUM(A1)\nLine two"
    assert cells["Which shots?"] == "Whole family; <b>Dog</b>"

    # The client corrects an answer from the confirmation page: the current questions'
    # wording is kept with the new answer; the removed question's answer stays.
    form = client.get(f"/b/{token}/answers")
    assert form.status_code == 200 and 'value="Candid" checked' in form.text
    q = [f"q{i}" for i in ids]
    refused = client.post(f"/b/{token}/answers", data={q[0]: "", q[3]: "Posed", q[6]: "no"})
    assert refused.status_code == 422 and f'href="#{q[0]}"' in refused.text
    saved = client.post(
        f"/b/{token}/answers", data={q[0]: "Ada and Byron", q[3]: "Posed", q[6]: "no"}
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=answers")
    values = {r["label"]: r["value"] for r in rows(db_url, sa.select(answers))}
    assert values["Names"] == "Ada and Byron" and values["Bringing a pet?"] == "No"
    assert values["Anything else?"] == "=SUM(A1)\nLine two"
    assert "Who is coming?" not in values

    # Past the change cutoff (12 hours before the session) the answers are closed.
    clock.advance(days=1, hours=12)
    assert client.get(f"/b/{token}/answers").status_code == 409
    late = client.post(
        f"/b/{token}/answers", data={q[0]: "Someone else", q[3]: "Posed", q[6]: "no"}
    )
    assert late.status_code == 409
    assert "Change your answers" not in client.get(f"/b/{token}").text


def _shown_contract(html: str) -> tuple[str, str]:
    match = re.search(r'name="contract_sha256" value="([0-9a-f]{64})"', html)
    assert match, "no contract to sign on the page"
    body = re.search(r'<div class="contract"[^>]*>(.*?)</div>', html, re.S)
    assert body
    return match.group(1), body.group(1)


def test_the_signed_text_is_the_one_shown_and_the_pdf_carries_it(
    client: TestClient,
    acme: World,
    db_url: str,
    smtp: SmtpServer,
    settings: Settings,
    clock: FakeClock,
) -> None:
    set_mini(db_url, "portraits", contract=CONTRACT)
    slot = acme.slots["portraits"][0]
    token = token_from(
        submit_details(client, slot, name="Ada <i>Lovelace</i> [x](javascript:alert(1))")
    )
    quote = client.get(f"/b/{token}/quote").text
    shown_hash, shown = _shown_contract(quote)
    assert "Ada &lt;i&gt;Lovelace&lt;/i&gt;" in shown and "<i>" not in shown
    assert "<a " not in shown  # the client's name can't become a link

    # Without a signature (or the tick) the booking is refused, field by field.
    refused = client.post(f"/b/{token}/quote", data={"contract_sha256": shown_hash})
    assert refused.status_code == 422
    assert 'href="#signed_name"' in refused.text and 'href="#agree"' in refused.text
    not_yet = client.get(f"/b/{token}/pay")
    assert not_yet.status_code == 303 and not_yet.headers["location"].endswith("/quote")
    assert rows(db_url, sa.select(contract_signatures)) == []

    # The photographer edits the contract while the client reads: signing what they saw
    # is refused, and the new text is shown to read again.
    set_mini(db_url, "portraits", contract=CONTRACT + "\n\nNew clause: **no refunds**.")
    stale = client.post(
        f"/b/{token}/quote",
        data={"contract_sha256": shown_hash, "signed_name": "Ada Lovelace", "agree": "1"},
    )
    assert stale.status_code == 422 and "updated" in stale.text
    new_hash, new_shown = _shown_contract(stale.text)
    assert new_hash != shown_hash and "New clause" in new_shown
    assert rows(db_url, sa.select(contract_signatures)) == []

    signed = client.post(
        f"/b/{token}/quote",
        data={
            "contract_sha256": new_hash,
            "signed_name": "  Ada   Lovelace ",
            "agree": "1",
            "method": "demo",
            "card": "4242 4242 4242 4242",
        },
        headers={"user-agent": "TestBrowser/1.0 <b>"},
    )
    assert signed.status_code == 303, signed.text
    [row] = rows(db_url, sa.select(contract_signatures))
    assert row["sha256"] == new_hash == hashlib.sha256(row["text"].encode()).hexdigest()
    assert "New clause" in row["text"] and row["signed_name"] == "Ada Lovelace"
    assert row["user_agent"] == "TestBrowser/1.0 <b>" and row["ip_address"]

    # A later edit applies to new bookings only: this booking keeps what it signed.
    set_mini(db_url, "portraits", contract="Completely different.")
    [again] = rows(db_url, sa.select(contract_signatures))
    assert again == row

    # The photographer's download: the exact text is attached, and its hash printed.
    booking_id = row["booking_id"]
    page = client.get(f"/admin/bookings/{booking_id}").text
    assert f"/admin/bookings/{booking_id}/contract.pdf" in page and new_hash in page
    assert "TestBrowser/1.0 &lt;b&gt;" in page
    pdf = client.get(f"/admin/bookings/{booking_id}/contract.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    _check_pdf(pdf.content, row["text"], new_hash)
    # Another studio's booking id, or a booking without a signature, is not found.
    assert client.get(f"/admin/bookings/{booking_id + 999}/contract.pdf").status_code == 404

    # The client's confirmation email carries the same PDF; the studio's email the answers.
    deliver(settings.with_(smtp_url=smtp.url), clock)
    received = {m["To"].addresses[0].addr_spec: m for m in smtp.wait_for(2)}
    client_mail: EmailMessage = received["ada@example.com"]
    [attached] = [
        part
        for part in client_mail.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]
    _check_pdf(attached.get_content(), row["text"], new_hash)


def _check_pdf(data: bytes, text: str, sha256: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    [embedded] = reader.attachments["contract.md"]
    assert embedded.decode("utf-8") == text
    assert hashlib.sha256(embedded).hexdigest() == sha256
    shown = " ".join(page.extract_text() for page in reader.pages)
    assert sha256 in shown and "Ada Lovelace" in shown and "New clause" in shown


def test_a_free_mini_session_with_a_contract_is_signed_on_the_checkout_before_it_books(
    client: TestClient, acme: World, db_url: str
) -> None:
    set_mini(db_url, "free-day", contract=CONTRACT, payment_methods="")
    slot = acme.slots["free-day"][0]
    sent = submit_details(client, slot, mini="free-day")
    # Not booked on submit: on to the checkout, held, to read and sign.
    assert sent.status_code == 303 and sent.headers["location"].endswith("/quote")
    token = token_from(sent)
    [held] = rows(db_url, sa.select(bookings).where(bookings.c.slot_id == slot))
    assert held["status"] == "held"
    page = client.get(f"/b/{token}/quote")
    assert page.status_code == 200, page.text
    shown_hash, shown = _shown_contract(page.text)
    assert "Ada Lovelace" in shown and "$0.00" in shown
    assert "Confirm booking" in page.text and 'name="method"' not in page.text

    refused = client.post(f"/b/{token}/quote", data={"contract_sha256": shown_hash})
    assert refused.status_code == 422 and 'href="#signed_name"' in refused.text
    assert rows(db_url, sa.select(bookings.c.status).where(bookings.c.slot_id == slot)) == [
        {"status": "held"}
    ]

    signed = client.post(
        f"/b/{token}/quote",
        data={"contract_sha256": shown_hash, "signed_name": "Ada Lovelace", "agree": "1"},
    )
    assert signed.status_code == 303 and signed.headers["location"] == f"/b/{token}?done=booked"
    [booked] = rows(db_url, sa.select(bookings).where(bookings.c.slot_id == slot))
    assert booked["status"] == "booked"
    [signature] = rows(db_url, sa.select(contract_signatures))
    assert signature["booking_id"] == booked["id"] and signature["sha256"] == shown_hash
    assert rows(db_url, sa.select(payments)) == []  # nothing due, nothing paid
    pdf = client.get(f"/b/{token}/contract.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    _check_pdf_text(pdf.content, shown_hash)


def _check_pdf_text(data: bytes, sha256: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(data))
    shown = " ".join(page.extract_text() for page in reader.pages)
    assert sha256 in shown and "Ada Lovelace" in shown


def test_the_pdf_prints_a_name_in_chinese_japanese_or_korean(
    client: TestClient, acme: World, db_url: str
) -> None:
    set_mini(db_url, "portraits", contract=CONTRACT + "\n\n署名: 한국어 조항, ひらがな.")
    name = "山田 太郎 김민준"
    token = token_from(submit_details(client, acme.slots["portraits"][0], name=name))
    shown_hash, _ = _shown_contract(client.get(f"/b/{token}/quote").text)
    signed = client.post(
        f"/b/{token}/quote",
        data={
            "contract_sha256": shown_hash,
            "signed_name": name,
            "agree": "1",
            "method": "demo",
            "card": "4242 4242 4242 4242",
        },
    )
    assert signed.status_code == 303, signed.text
    [row] = rows(db_url, sa.select(contract_signatures))
    pdf = client.get(f"/admin/bookings/{row['booking_id']}/contract.pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    shown = " ".join(page.extract_text() for page in reader.pages)
    # In the contract's text (the placeholder) and on the signature line; the clause too.
    assert shown.count(name) == 2, shown
    assert "署名: 한국어 조항, ひらがな." in shown


def test_the_studio_email_lists_the_answers_escaped(
    client: TestClient,
    world: World,
    db_url: str,
    smtp: SmtpServer,
    settings: Settings,
    clock: FakeClock,
) -> None:
    ids = add_questions(db_url, "portraits", QUESTIONS)
    token = token_from(submit_details(client, world.slots["portraits"][0], **good_answers(ids)))
    assert pay_demo(client, token).status_code == 303
    deliver(settings.with_(smtp_url=smtp.url), clock)
    received = {m["To"].addresses[0].addr_spec: m for m in smtp.wait_for(2)}
    studio_mail = received["acme@studio.test"]
    html = studio_mail.get_body(("html",)).get_content()
    text = studio_mail.get_body(("plain",)).get_content()
    assert "Who is coming?" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "&lt;b&gt;Dog&lt;/b&gt;" in html
    assert "- Which shots?: Whole family, <b>Dog</b>" in text
    assert "- Bringing a pet?: Yes" in text


def test_a_delayed_studio_email_lists_the_answers_as_given_when_booked(
    client: TestClient,
    world: World,
    db_url: str,
    smtp: SmtpServer,
    settings: Settings,
    clock: FakeClock,
) -> None:
    ids = add_questions(db_url, "portraits", QUESTIONS)
    set_mini(db_url, "portraits", change_cutoff_hours=0)
    token = token_from(submit_details(client, world.slots["portraits"][0], **good_answers(ids)))
    assert pay_demo(client, token).status_code == 303
    # The emails wait in the outbox (SMTP down) while the client corrects their answers.
    q = [f"q{i}" for i in ids]
    corrected = client.post(
        f"/b/{token}/answers", data={q[0]: "Corrected names", q[3]: "Posed", q[6]: "no"}
    )
    assert corrected.status_code == 303
    assert "Corrected names" in client.get(f"/b/{token}").text  # the booking has the new ones
    deliver(settings.with_(smtp_url=smtp.url), clock)
    received = {m["To"].addresses[0].addr_spec: m for m in smtp.wait_for(2)}
    text = received["acme@studio.test"].get_body(("plain",)).get_content()
    # The new-booking email says what the booking was when it was made.
    assert "Corrected names" not in text and "- Session style: Candid" in text
    assert "- Bringing a pet?: Yes" in text


def test_the_dashboard_edits_questions_and_duplicating_copies_them(
    client: TestClient, acme: World, db_url: str
) -> None:
    [rival_question] = add_questions(db_url, "portraits", [("short", "Acme's first", False, [])])

    async def rival(db: Database) -> int:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "rival"))
        mini_id = await db.execute(
            mini_sessions.insert().values(
                studio_id=studio_id, slug="theirs", title="Theirs", price_minor=100
            )
        )
        return await db.execute(
            questions.insert().values(
                mini_session_id=mini_id, kind="short", label="Rival's", position=1
            )
        )

    foreign = run_db(db_url, rival)
    mini_id = acme.mini_ids["portraits"]
    page = client.get(f"/admin/minis/{mini_id}/edit").text
    assert 'value="Acme&#39;s first"' in page
    form = dict(re.findall(r'<input id="[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', page))
    form = {k: v for k, v in form.items() if not k.startswith("question-")}
    base = {
        **form,
        "csrf": csrf_from(page),
        "visibility": "public",
        "booking_process": "quote",
        "methods": ["demo", "offline"],
        "cancel_refund_policy": "keep_deposit",
    }
    bad = client.post(
        f"/admin/minis/{mini_id}/edit",
        data={
            **base,
            "question-0-id": str(rival_question),
            "question-0-label": "Who?",
            "question-0-kind": "short",
            "question-1-label": "Pick one",
            "question-1-kind": "single",
            "question-1-choices": "Only one",
            "contract": "Hello {{ nobody }} {{ ''.__class__.__mro__ }}",
        },
    )
    assert bad.status_code == 400
    assert 'href="#question-1-choices"' in bad.text and 'href="#contract"' in bad.text
    assert 'value="Pick one"' in bad.text  # nothing typed is lost

    saved = client.post(
        f"/admin/minis/{mini_id}/edit",
        data={
            **base,
            "question-0-id": str(rival_question),
            "question-0-label": "Who is coming?",
            "question-0-kind": "short",
            "question-0-required": "1",
            "question-0-position": "2",
            "question-1-label": "Pick one",
            "question-1-kind": "single",
            "question-1-choices": "Posed\nCandid\nPosed",
            "question-1-position": "1",
            # A hostile form naming another studio's question changes nothing there.
            "question-2-id": str(foreign),
            "question-2-label": "Hijacked",
            "question-2-kind": "short",
            "contract": "I, {{ client_name }}, agree.",
        },
    )
    assert saved.status_code == 303, saved.text
    found = rows(db_url, sa.select(questions).order_by(questions.c.id))
    by_label = {r["label"]: r for r in found}
    assert by_label["Rival's"]["mini_session_id"] != mini_id  # untouched
    assert "Hijacked" not in by_label and len(found) == 3
    assert by_label["Who is coming?"]["required"] and by_label["Who is coming?"]["position"] == 2
    assert json.loads(by_label["Pick one"]["choices"]) == ["Posed", "Candid"]
    assert by_label["Pick one"]["position"] == 1

    copy = client.post(f"/admin/minis/{mini_id}/duplicate", data={"csrf": csrf_from(page)})
    assert copy.status_code == 303
    copy_match = re.search(r"/admin/minis/(\d+)/edit", copy.headers["location"])
    assert copy_match
    copy_id = int(copy_match.group(1))
    copied = rows(db_url, sa.select(questions).where(questions.c.mini_session_id == copy_id))
    assert sorted(r["label"] for r in copied) == sorted(["Who is coming?", "Pick one"])
    assert {r["id"] for r in copied}.isdisjoint({r["id"] for r in found})
    [copied_mini] = rows(db_url, sa.select(mini_sessions).where(mini_sessions.c.id == copy_id))
    assert copied_mini["contract"] == "I, {{ client_name }}, agree."

    # Removing a question hides it from clients; the row stays for the answers given.
    edit = client.get(f"/admin/minis/{mini_id}/edit").text
    pick_one = by_label["Pick one"]["id"]
    n = re.search(rf'name="question-(\d+)-id" value="{pick_one}"', edit)
    assert n
    fields = dict(
        re.findall(r'name="(question-\d+-[a-z]+)"(?: type="[a-z]+")? value="([^"]*)"', edit)
    )
    removed = client.post(
        f"/admin/minis/{mini_id}/edit",
        data={
            **base,
            **{k: v for k, v in fields.items() if k.endswith(("-id", "-label", "-position"))},
            **{k.replace("-label", "-kind"): "short" for k in fields if k.endswith("-label")},
            f"question-{n.group(1)}-remove": "1",
            "contract": "",
        },
    )
    assert removed.status_code == 303, removed.text
    [gone] = rows(db_url, sa.select(questions).where(questions.c.id == pick_one))
    assert gone["removed"] and gone["label"] == "Pick one"
    book = client.get(f"/acme/portraits/book?slot={acme.slots['portraits'][0]}").text
    assert "Pick one" not in book and "Who is coming?" in book, book[book.find("<main") :][:3000]


def test_placeholders_fill_in_as_text_never_as_markup() -> None:
    from widget_server.booking.contracts import contract_problem, fill_contract
    from widget_server.notice import contract_html

    facts = {
        "client_name": "[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** # H",
        "price": "$1.00",
    }
    text = fill_contract("Dear {{ client_name }}, you pay {{ price }}.", facts)
    html = str(contract_html(text))
    assert "<a " not in html and "<img" not in html and "<strong>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "[click](javascript:alert(1))" in html and "**bold** # H" in html
    # The sandbox refuses what a contract has no business doing; unknown names are errors.
    assert contract_problem("{{ ''.__class__.__mro__[1].__subclasses__() }}") is not None
    assert contract_problem("Hello {{ nobody }}") is not None
    assert contract_problem("Hello {{ client_name }} on {{ date }}") is None


def test_answers_take_any_script_but_no_disguise() -> None:
    from widget_server.booking.answers import check_answers
    from widget_server.booking.errors import InvalidDetails
    from widget_server.booking.questions import Question

    short = Question(1, 1, "short", "Who?", "", True, 1, ())
    family = "👨\u200d👩\u200d👧 Zoë, 李雷, أحمد"
    [answer] = check_answers([short], {"q1": family})
    assert answer.value == family
    for hostile in ("evil\u202etxt.exe", "nul\x00", "bell\x07", "x" * 201):
        try:
            check_answers([short], {"q1": hostile})
        except InvalidDetails as exc:
            assert set(exc.errors) == {"q1"}
        else:
            raise AssertionError(f"{hostile!r} was accepted")
