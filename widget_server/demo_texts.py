"""The demo's own texts in other languages (booking/texts.py): fall-minis and family-minis
read in Spanish, French and German, so a newcomer who switches language sees the
photographer's texts follow, and santa-minis shows the fallback to the studio's English."""

from __future__ import annotations

from databases import Database

from .db.tables import text_translations

FALL = {
    "es": {
        "title": "Minis de otoño",
        "description": (
            "Veinte minutos dorados entre las hojas de otoño: en familia, en pareja o a solas. "
            "Recibes 10 imágenes editadas en una galería en línea en un plazo de dos semanas."
        ),
        "terms": "La señal no es reembolsable; el resto se paga el día de la sesión.",
    },
    "fr": {
        "title": "Minis d'automne",
        "description": (
            "Vingt minutes dorées parmi les feuilles d'automne : en famille, en couple ou en "
            "solo. Vous recevez 10 photos retouchées dans une galerie en ligne sous deux semaines."
        ),
        "terms": "L'acompte n'est pas remboursable ; le solde se règle le jour même.",
    },
    "de": {
        "title": "Herbst-Minis",
        "description": (
            "Zwanzig goldene Minuten im Herbstlaub: mit der Familie, zu zweit oder allein. "
            "Innerhalb von zwei Wochen erhaltet ihr 10 bearbeitete Bilder in einer Online-Galerie."
        ),
        "terms": "Die Anzahlung wird nicht erstattet; der Rest ist am Tag des Shootings fällig.",
    },
}

FAMILY = {
    "es": {
        "title": "Minis en familia",
        "description": (
            "Treinta minutos tranquilos en el parque con toda la familia. Incluye cuatro "
            "personas; los abuelos también son bienvenidos. 15 imágenes editadas en una galería "
            "en línea. Cuéntanos quién viene y firma el acuerdo de la sesión."
        ),
    },
    "fr": {
        "title": "Minis en famille",
        "description": (
            "Trente minutes détendues en famille au parc. Quatre personnes sont comprises ; "
            "venez avec les grands-parents. 15 photos retouchées dans une galerie en ligne. "
            "Dites-nous qui vient, puis signez le contrat de séance."
        ),
    },
    "de": {
        "title": "Familien-Minis",
        "description": (
            "Dreißig entspannte Minuten für die ganze Familie im Park. Vier Personen sind "
            "inklusive, bringt gern auch die Großeltern mit. 15 bearbeitete Bilder in einer "
            "Online-Galerie. Sagt uns, wer kommt, und unterschreibt die Shooting-Vereinbarung."
        ),
    },
}

# The family session's first question ("Who is coming?") and its help text.
WHO = {
    "es": {
        "label": "¿Quién viene?",
        "help": "Nombre y edad de cada persona de las fotos.",
    },
    "fr": {"label": "Qui vient ?", "help": "Le prénom et l'âge de chaque personne sur les photos."},
    "de": {"label": "Wer kommt mit?", "help": "Namen und Alter aller, die auf die Fotos sollen."},
}


async def seed_demo_texts(
    db: Database, studio_id: int, *, fall: int, family: int, who_question: int
) -> None:
    owned = [("mini_session", fall, FALL), ("mini_session", family, FAMILY)]
    owned.append(("question", who_question, WHO))
    for kind, owner_id, texts in owned:
        for language, fields in texts.items():
            for field, text in fields.items():
                await db.execute(
                    text_translations.insert().values(
                        studio_id=studio_id,
                        owner_kind=kind,
                        owner_id=owner_id,
                        field=field,
                        language=language,
                        text=text,
                    )
                )
