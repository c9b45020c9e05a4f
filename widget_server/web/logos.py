"""``/logos/{studio}/{sha256}.{ext}``: a studio's logo, public and cached for good.

The URL names the content (its SHA-256), so a new logo gets a new URL and the old one
answers 404; browsers and CDNs may keep what they fetched forever. The type is the one
sniffed at upload, and ``nosniff`` stops a browser from guessing another.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..booking.catalog import LOGO_EXTENSIONS
from ..studio.logos import current_logo
from ..studio.mini_images import stored_image

IMMUTABLE = "public, max-age=31536000, immutable"


async def logo_file(request: Request) -> Response:
    sha256, _, extension = request.path_params["file"].partition(".")
    if len(sha256) != 64 or extension not in LOGO_EXTENSIONS.values():
        raise HTTPException(404)
    logo = await current_logo(request.app.state.db, request.path_params["studio"], sha256)
    if logo is None or LOGO_EXTENSIONS[logo.content_type] != extension:
        raise HTTPException(404)
    return Response(
        logo.data,
        media_type=logo.content_type,
        headers={"cache-control": IMMUTABLE, "x-content-type-options": "nosniff"},
    )


async def mini_image_file(request: Request) -> Response:
    """``/images/{sha256}.{ext}``: a mini session's uploaded picture (studio/mini_images.py)."""
    sha256, _, extension = request.path_params["file"].partition(".")
    if len(sha256) != 64 or extension not in LOGO_EXTENSIONS.values():
        raise HTTPException(404)
    image = await stored_image(request.app.state.db, sha256)
    if image is None or LOGO_EXTENSIONS[image.content_type] != extension:
        raise HTTPException(404)
    return Response(
        image.data,
        media_type=image.content_type,
        headers={"cache-control": IMMUTABLE, "x-content-type-options": "nosniff"},
    )


routes: list[BaseRoute] = [
    Route("/logos/{studio}/{file}", logo_file),
    Route("/images/{file}", mini_image_file),
]
