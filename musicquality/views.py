"""The site's own small views: the favicon browsers ask for at ``/favicon.ico``, and the
error pages (404, 500) in the site's layout."""

from __future__ import annotations

import functools
import struct

import numpy as np
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from musicquality.png import png_encode

FAVICON_SIZE = 32


@functools.cache
def favicon_bytes() -> bytes:
    """A 32 px ICO holding one PNG (the brand's dark square with three level bars)."""
    image = np.zeros((FAVICON_SIZE, FAVICON_SIZE, 3), dtype=np.uint8)
    image[:] = (0x1D, 0x23, 0x30)
    for column, height in ((6, 12), (14, 20), (22, 26)):
        image[FAVICON_SIZE - 3 - height : FAVICON_SIZE - 3, column : column + 5] = (
            0x9F,
            0xB4,
            0xFF,
        )
    png = png_encode(image)
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", FAVICON_SIZE, FAVICON_SIZE, 0, 0, 1, 32, len(png), 22)
    return header + entry + png


@login_not_required
@require_GET
def favicon(request):
    response = HttpResponse(favicon_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def server_error(request):
    """500 in the site's layout, rendered without the request's context: whatever failed
    (the database, a context processor, the static files' manifest) is not asked again; the
    page is plain when even its stylesheet's URL cannot be had."""
    try:
        stylesheet = static("musicquality/app.css")
    except Exception:
        stylesheet = ""
    template = loader.get_template("500.html")
    return HttpResponse(template.render({"stylesheet": stylesheet}), status=500)
