"""The demo studio that ``minis demo`` seeds: mini sessions to try every step on."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from databases import Database

from .booking.catalog import studio_by_slug
from .booking.slots import SessionDayPlan, create_session_day
from .db.tables import (
    addons,
    coupon_minis,
    coupons,
    locations,
    mini_sessions,
    questions,
    tax_rate_minis,
    tax_rates,
)
from .db.transactions import write_transaction
from .demo_texts import seed_demo_texts
from .studio.accounts import create_studio, create_user

DEMO_STUDIO = "demo"
DEMO_EMAIL = "demo@minis.test"
DEMO_PASSWORD = "minis-demo"


def _next_weekday(start: date, weekday: int, weeks_ahead: int) -> date:
    days = (weekday - start.weekday()) % 7 or 7
    return start + timedelta(days=days + 7 * weeks_ahead)


async def seed_demo(db: Database, now: datetime) -> bool:
    """Create the demo studio unless it exists; True when it was created now."""
    if await studio_by_slug(db, DEMO_STUDIO) is not None:
        return False
    today = now.date()
    async with write_transaction(db):
        studio_id = await create_studio(
            db,
            slug=DEMO_STUDIO,
            name="Golden Hour Photography",
            notify_email="studio@example.com",  # a valid address: the settings form checks it
            timezone="America/New_York",
            currency="USD",
            brand_color="#b4540a",
            offline_instructions=(
                "Pay by bank transfer within 3 days to Golden Hour Photography, "
                "account 021000021 / 123456789, with your booking reference, "
                "or in cash at the start of your session."
            ),
            # The methods the studio takes (Settings); each mini session offers some of them.
            # Card payments appear once STRIPE_SECRET_KEY is set.
            payment_methods="offline demo stripe",
            now=now,
        )
        await create_user(
            db, studio_id=studio_id, email=DEMO_EMAIL, password=DEMO_PASSWORD, now=now
        )
        park = await db.execute(
            locations.insert().values(
                studio_id=studio_id,
                name="Riverside Park, by the boathouse",
                address="Riverside Dr & W 79th St, New York, NY",
                map_url="https://maps.google.com/?q=Riverside+Park+Boathouse+New+York",
                notes="Park on W 79th St; look for the orange blanket.",
                timezone="America/New_York",
            )
        )
        meadow = await db.execute(
            locations.insert().values(
                studio_id=studio_id,
                name="Aspen meadow, Red Rocks",
                address="18300 W Alameda Pkwy, Morrison, CO",
                map_url="https://maps.google.com/?q=Red+Rocks+Park+Morrison+CO",
                notes="Trailhead lot 2, a five-minute walk.",
                timezone="America/Denver",
            )
        )
        loft = await db.execute(
            locations.insert().values(
                studio_id=studio_id,
                name="The Loft studio",
                address="55 Water St, Brooklyn, NY",
                map_url="https://maps.google.com/?q=55+Water+St+Brooklyn",
                notes="Second floor; the elevator is on the left.",
                timezone="America/New_York",
            )
        )
        fall = await db.execute(
            mini_sessions.insert().values(
                studio_id=studio_id,
                slug="fall-minis",
                title="Fall Minis",
                description=(
                    "Twenty golden minutes among the autumn leaves: family, couples or solo. "
                    "You get 10 edited images in an online gallery within two weeks."
                ),
                image_url="/static/demo-fall.svg",
                price_minor=22500,
                deposit_minor=7500,
                visibility="public",
                booking_process="quote",
                # "stripe" is offered only when STRIPE_SECRET_KEY is set (PaymentMethods.offered).
                payment_methods="stripe demo offline",
                hold_minutes=15,
                min_notice_hours=2,
                terms="The deposit is non-refundable; the balance is due on the day.",
                change_cutoff_hours=24,
                cancel_refund_policy="keep_deposit",
                confirmation_notice=(
                    "**What to wear:** soft, layered colours (rust, cream, olive) photograph "
                    "beautifully against the leaves. Avoid big logos.\n\n"
                    "**Bring** a blanket or a favourite toy for little ones, and arrive "
                    "*five minutes early*: sessions start on time.\n\n"
                    "Questions? See our [session guide](https://example.com/fall-guide)."
                ),
            )
        )
        santa = await db.execute(
            mini_sessions.insert().values(
                studio_id=studio_id,
                slug="santa-minis",
                title="Santa Minis",
                description=(
                    "Ten cosy minutes with Santa by the fireplace. Up to three families per slot."
                ),
                image_url="/static/demo-santa.svg",
                price_minor=9500,
                deposit_minor=None,
                visibility="public",
                booking_process="quote",
                payment_methods="stripe demo",
                hold_minutes=15,
                min_notice_hours=2,
                terms="Full payment secures your spot.",
                cancel_refund_policy="full",
                confirmation_notice="Santa has a treat for every child. Please arrive on time!",
            )
        )
        # Fall: three Saturdays in New York, two Sundays in Colorado (another time zone).
        for week in range(3):
            day = _next_weekday(today, 5, week)
            await create_session_day(
                db,
                mini_session_id=fall,
                location_id=park,
                plan=SessionDayPlan(day, time(9, 0), time(12, 0), 20, 5, 1, "America/New_York"),
            )
        for week in range(2):
            day = _next_weekday(today, 6, week)
            await create_session_day(
                db,
                mini_session_id=fall,
                location_id=meadow,
                plan=SessionDayPlan(day, time(15, 0), time(18, 0), 20, 5, 1, "America/Denver"),
            )
        for week in (1, 2):
            day = _next_weekday(today, 5, week)
            await create_session_day(
                db,
                mini_session_id=santa,
                location_id=loft,
                plan=SessionDayPlan(day, time(10, 0), time(14, 0), 15, 5, 3, "America/New_York"),
            )
        family = await seed_family_minis(db, studio_id, park, today)
        await _family_pricing(db, studio_id, family)
        who = await db.fetch_val(
            sa.select(questions.c.id).where(
                questions.c.mini_session_id == family, questions.c.position == 1
            )
        )
        await seed_demo_texts(db, studio_id, fall=fall, family=family, who_question=int(who))
    return True


FAMILY_CONTRACT = """\
# Session agreement

This agreement is between **{{ studio }}** and **{{ client_name }}** for a
{{ session }} session on **{{ date }} at {{ time }}**, at {{ place }} ({{ address }}).

1. **Fee.** The session costs {{ price }}. The deposit secures your time and is not
   refundable; the balance is due on the day.
2. **Timing.** Sessions start on time. A late arrival shortens the session.
3. **Images.** You receive at least 10 edited images in an online gallery within
   three weeks. {{ studio }} may show a few of them in its portfolio unless you ask
   it not to.
4. **Weather.** If it rains, {{ studio }} offers another date.
"""


async def seed_family_minis(db: Database, studio_id: int, park: int, today: date) -> int:
    """``family-minis``: the intake features (a required question and a contract); its
    pricing (party size, add-ons, tax, the WELCOME10 code) is ``_family_pricing``."""
    family = await db.execute(
        mini_sessions.insert().values(
            studio_id=studio_id,
            slug="family-minis",
            title="Family Minis",
            description=(
                "Thirty relaxed minutes for the whole family in the park. Four people are "
                "included; bring grandparents too. 15 edited images in an online gallery. "
                "Tell us who's coming, then sign the session agreement."
            ),
            image_url="/static/demo-fall.svg",
            price_minor=18000,
            deposit_minor=5000,
            visibility="public",
            booking_process="quote",
            payment_methods="stripe demo offline",
            hold_minutes=20,
            min_notice_hours=2,
            change_cutoff_hours=24,
            terms="The deposit is non-refundable; the balance is due on the day.",
            cancel_refund_policy="keep_deposit",
            contract=FAMILY_CONTRACT,
        )
    )
    for position, (kind, label, help_text, required, choices) in enumerate(
        [
            ("short", "Who is coming?", "Names and ages of everyone in the photos.", True, []),
            (
                "several",
                "Which shots would you love?",
                "",
                False,
                ["Whole family", "Kids only", "Parents only", "With the dog"],
            ),
            ("yesno", "Is anyone coming with a pet?", "", False, []),
            ("long", "Anything we should know?", "Allergies, shy kids, a surprise…", False, []),
        ],
        start=1,
    ):
        await db.execute(
            questions.insert().values(
                mini_session_id=family,
                kind=kind,
                label=label,
                help=help_text,
                required=required,
                position=position,
                choices=json.dumps(choices),
            )
        )
    for week in (0, 1):
        await create_session_day(
            db,
            mini_session_id=family,
            location_id=park,
            plan=SessionDayPlan(
                _next_weekday(today, 5, week),
                time(14, 0),
                time(17, 0),
                30,
                0,
                1,
                "America/New_York",
            ),
        )
    return family


async def _family_pricing(db: Database, studio_id: int, family: int) -> None:
    """Add-ons, party-size pricing and sales tax on ``family-minis``, and the studio's
    ``WELCOME10`` code (for family-minis: fall-minis and santa-minis stay simple)."""
    await db.execute(
        mini_sessions.update()
        .where(mini_sessions.c.id == family)
        .values(party_included=4, party_max=8, extra_person_minor=2000)
    )
    await db.execute(
        addons.insert().values(
            mini_session_id=family,
            name="Printed album",
            description="A 20-page 8x10 linen album of your favourite images.",
            price_minor=4500,
            max_quantity=2,
            stock=10,
        )
    )
    await db.execute(
        addons.insert().values(
            mini_session_id=family,
            name="Five more digital images",
            description="Pick five more from your gallery.",
            price_minor=3000,
            max_quantity=1,
        )
    )
    tax = await db.execute(
        tax_rates.insert().values(
            studio_id=studio_id, name="NY sales tax", rate_ppm=88_750, all_minis=False
        )
    )
    await db.execute(tax_rate_minis.insert().values(tax_rate_id=tax, mini_session_id=family))
    welcome = await db.execute(
        coupons.insert().values(
            studio_id=studio_id, code="WELCOME10", kind="percent", value=100_000, all_minis=False
        )
    )
    await db.execute(coupon_minis.insert().values(coupon_id=welcome, mini_session_id=family))
