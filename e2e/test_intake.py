"""Intake in a real browser: the family-minis questions and contract, keyboard only, in the
hosted pages and the inline embed, with screenshots at 375 and 1280 px, axe-checked."""

from __future__ import annotations

import re

from playwright.sync_api import FrameLocator, Page, expect

from .embed_steps import assert_fits, choose_first_time, wait_for_event, widget
from .host_site import HostSite
from .steps import (
    ADA,
    CHECKOUT_HEADING,
    SUCCESS_CARD,
    choose_first_slot,
    choose_method,
    fill_details,
    heading,
    is_focused,
    open_mini_from_studio,
    pay_with_card,
    tab_to,
)
from .support import ContextFactory, DemoSite, PageProblems, screenshot_dir
from .test_admin import log_in
from .test_embed_a11y import severe_violations
from .test_layout import capture

FAMILY = "Family Minis"
WHO = "Who is coming?"


def sign_with_the_keyboard(page: Page, name: str, scope: Page | FrameLocator | None = None) -> None:
    """Read the contract (it takes the focus, so a keyboard can scroll it), then sign."""
    within = scope or page
    contract = within.locator(".contract")
    expect(contract).to_contain_text("Session agreement")
    expect(contract).to_contain_text(f"between Golden Hour Photography and {ADA.name}")
    signature = within.get_by_label("Your full name")
    signature.focus()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    assert is_focused(within.get_by_label("I have read and agree to this contract"))  # type: ignore[arg-type]
    page.keyboard.press("Space")
    expect(within.get_by_label("I have read and agree to this contract")).to_be_checked()


def test_hosted_booking_with_questions_and_a_contract(
    page: Page, server: DemoSite, problems: PageProblems, new_context: ContextFactory
) -> None:
    problems.allow_error_page(422)
    open_mini_from_studio(page, FAMILY)
    choose_first_slot(page)
    fill_details(page, ADA)
    # The required question left empty: the summary takes the focus and names it.
    page.get_by_role("button", name="Continue to quote").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("link")).to_have_text(["Please answer this question."])
    # Nothing typed was lost.
    expect(page.get_by_label("Email", exact=True)).to_have_value(ADA.email)
    capture(page, "intake-1-details-error")

    # Keyboard only: the summary's link leads to the question; the groups are fieldsets.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    answer = page.get_by_label(WHO)
    expect(answer).to_have_attribute("aria-invalid", "true")
    answer.focus()
    page.keyboard.type("Ada (34), Byron (6) <b>& the dog</b>")
    shots = page.get_by_role("group", name="Which shots would you love?")
    kids = shots.get_by_label("Kids only")
    tab_to(page, kids)
    page.keyboard.press("Space")
    expect(kids).to_be_checked()
    pet = page.get_by_role("group", name="Is anyone coming with a pet? (optional)")
    expect(pet.get_by_label("Yes")).to_be_visible()
    tab_to(page, pet.get_by_label("Yes"))
    page.keyboard.press("Space")
    assert severe_violations(page) == []
    tab_to(page, page.get_by_role("button", name="Continue to quote"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(CHECKOUT_HEADING)

    # The contract: refused unsigned (announced), then signed with the keyboard.
    choose_method(page, "Card (demo)")
    pay_with_card(page, SUCCESS_CARD)
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary").get_by_role("link")).to_have_count(2)
    capture(page, "intake-2-contract")
    assert severe_violations(page) == []
    sign_with_the_keyboard(page, ADA.name)
    choose_method(page, "Card (demo)")
    pay_with_card(page, SUCCESS_CARD)
    expect(heading(page)).to_have_text("You're booked, Ada!")
    answers = page.locator("dl.answers")
    expect(answers).to_contain_text("Ada (34), Byron (6) <b>& the dog</b>")
    expect(answers).to_contain_text("Kids only")
    expect(page.get_by_role("link", name="Download your copy (PDF)")).to_be_visible()
    capture(page, "intake-3-confirmation")

    # The client corrects an answer.
    page.get_by_role("link", name="Change your answers").click()
    expect(heading(page)).to_have_text("Your answers")
    page.get_by_label(WHO).fill("Ada and Byron")
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("status")).to_contain_text("Your answers are saved")
    expect(answers).to_contain_text("Ada and Byron")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your copy (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    [booking] = server.bookings()
    assert booking.status == "booked"

    # The photographer sees the answers and downloads the signed contract.
    photographer = new_context(viewport={"width": 375, "height": 800}).new_page()
    log_in(photographer)
    photographer.get_by_role("link", name=re.compile(r"Ada Lovelace")).first.click()
    intake = photographer.locator(
        "section", has=photographer.get_by_role("heading", name="Answers and contract")
    )
    expect(intake.locator("dl.answers")).to_contain_text("Ada and Byron")
    expect(intake).to_contain_text("Signed by typing “Ada Lovelace”")
    with photographer.expect_download() as pdf:
        intake.get_by_role("link", name="Download the signed contract (PDF)").click()
    assert pdf.value.suggested_filename == f"contract-{booking.reference}.pdf"
    assert severe_violations(photographer) == []
    capture(photographer, "intake-4-admin-booking")

    # The questions and the contract in the mini session's settings.
    photographer.goto("/admin/minis")
    photographer.get_by_role("link", name=FAMILY).first.click()
    expect(heading(photographer)).to_have_text(FAMILY)
    photographer.goto(photographer.url.split("?")[0] + "/edit")
    first = photographer.get_by_role("group", name="Question 1")
    expect(first.get_by_label("Question", exact=True)).to_have_value(WHO)
    new = photographer.get_by_role("group", name="New question").first
    new.get_by_label("Question", exact=True).fill("Favourite colour?")
    new.get_by_label("Kind of answer").select_option("select")
    new.get_by_label("Choices, one per line").fill("Rust\nCream")
    assert severe_violations(photographer) == []
    photographer.locator("#questions").scroll_into_view_if_needed()
    capture(photographer, "intake-5-admin-questions")
    photographer.get_by_role("button", name="Save").click()
    expect(photographer.get_by_role("status")).to_have_text("Saved.")
    page.goto(page.url.split("/b/")[0] + "/demo/family-minis")
    choose_first_slot(page)
    expect(page.get_by_label("Favourite colour? (optional)")).to_be_visible()


def test_inline_embed_books_with_questions_and_a_contract(
    page: Page, server: DemoSite, host: HostSite, problems: PageProblems
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(host.url("family.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    frame.get_by_label(WHO).fill("Ada and Byron")
    frame.get_by_role("group", name="Which shots would you love?").get_by_label(
        "Whole family"
    ).check()
    height = assert_fits(page)
    # Tall enough to hold the whole page: Chromium leaves a cross-origin frame's part
    # below the viewport blank in a full-page screenshot.
    page.set_viewport_size({"width": 375, "height": int(height) + 400})
    assert_fits(page)
    page.screenshot(path=_shot("intake-embed-details-375.png"))
    page.set_viewport_size({"width": 375, "height": 800})
    frame.get_by_role("button", name="Continue to quote").click()
    # The checkout stays inside the widget.
    expect(heading(frame)).to_have_text(CHECKOUT_HEADING)  # type: ignore[arg-type]
    sign_with_the_keyboard(page, ADA.name, frame)
    height = assert_fits(page)
    page.set_viewport_size({"width": 375, "height": int(height) + 400})
    assert_fits(page)
    page.screenshot(path=_shot("intake-embed-checkout-375.png"))
    page.set_viewport_size({"width": 375, "height": 800})
    frame.locator("label.method-choice", has_text="Card (demo)").click()
    frame.get_by_label("Card number").fill(SUCCESS_CARD)
    frame.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    expect(frame.locator("dl.answers")).to_contain_text("Ada and Byron")
    [booking] = server.bookings()
    assert booking.status == "booked"


def _shot(name: str) -> str:
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return str(directory / name)
