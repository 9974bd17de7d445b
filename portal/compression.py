"""Compressed responses (brotli, else gzip) with Flask-Compress, except where compression could leak.

What is compressed: text (HTML pages and htmx fragments, JSON, calendar files) of 500 bytes or more,
status 2xx, not streamed (CSV exports stream). Not: pictures (JPEG, PNG, WebP are compressed
already), small bodies, streams. Every such response says `Vary: Accept-Encoding` (caches keep the
encodings apart; htmx fragments already vary on HX-Request too).

BREACH (docs/security.md, "Compression"): a page compressed while it holds a secret and text an
attacker chose lets someone who sees the encrypted traffic guess the secret from the sizes, if they
can make the member's browser send many requests. Those requests come from another site, and the
browser says so (`Sec-Fetch-Site: cross-site` or `same-site`): such responses are sent
uncompressed, so their sizes say nothing. What the member's own clicks, htmx requests and typed
addresses fetch (`same-origin`, `none`) is compressed.
"""

from flask import request
from flask_compress import Compress

compress = Compress()

COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
    "application/json", "application/manifest+json", "image/svg+xml", "text/calendar", "text/xml",
    "application/xml",
]
FROM_ELSEWHERE = {"cross-site", "same-site"}  # Sec-Fetch-Site values for requests another site set off


def compress_response(response):
    """after_request: compress unless the request came from another site (see the module's note)."""
    if response.mimetype in COMPRESSED_TYPES:
        response.vary.add("Sec-Fetch-Site")
    if request.headers.get("Sec-Fetch-Site", "").lower() in FROM_ELSEWHERE:
        response.vary.add("Accept-Encoding")
        return response
    return compress.after_request(response)


def init_app(app):
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)  # brotli's fast levels: smaller than gzip 6, as quick
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config["COMPRESS_REGISTER"] = False  # compress_response() decides, then calls Flask-Compress
    compress.init_app(app)
    app.after_request(compress_response)
