"""
Compressed responses: which encoding a client accepts, and the compressed body.

Pages, calendars and JSON are text that shrinks four to eight times, which is what a phone on a
slow network across the region waits for. Brotli where the client accepts it (every current
browser does, over HTTPS), gzip otherwise, nothing for clients that ask for neither. Static files
are not handled here: WhiteNoise serves their precompressed copies.

BREACH: a compressed page that reflects what an attacker sends next to a secret leaks the secret
through its length. Public pages hold no secret (they carry nothing of the visitor) and get the
best encoding, the same bytes for everyone, so the page cache keeps one copy per encoding. Every
other page gets gzip with Django's random padding (the mitigation of GZipMiddleware), and its CSRF
token is masked anew on every response anyway.
"""

import brotli
from django.utils.text import compress_string

BROTLI = "br"
GZIP = "gzip"
IDENTITY = "identity"

COMPRESSIBLE_TYPES = frozenset({"text/html", "text/calendar", "application/json"})
# Below this a compressed body is hardly smaller, and the header costs more than it saves.
MIN_LENGTH = 200
# Quality 5 compresses a 20 kB page in well under a millisecond, a little smaller than gzip's
# best; 11, brotli's most, takes tens of milliseconds for a few per cent more.
BROTLI_QUALITY = 5
# What GZipMiddleware adds to a personal page's gzip header, so its length says nothing.
MAX_RANDOM_BYTES = 100


def _accepted(header):
    """{coding: q} from an Accept-Encoding header (RFC 9110 §12.5.3), names in lower case."""
    accepted = {}
    for item in header.split(","):
        name, _, parameters = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        accepted[name] = quality
    return accepted


def negotiate(accept_encoding, *, allow_brotli=True):
    """The coding to answer with: "br", "gzip" or "identity" (brotli first where both are equal)."""
    accepted = _accepted(accept_encoding or "")
    candidates = [BROTLI, GZIP] if allow_brotli else [GZIP]
    best, best_quality = IDENTITY, 0.0
    for coding in candidates:
        quality = accepted.get(coding, accepted.get("*", 0.0))
        if quality > best_quality:
            best, best_quality = coding, quality
    return best


def is_compressible(response):
    content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return content_type in COMPRESSIBLE_TYPES and not response.has_header("Content-Encoding")


def compress(content, coding, *, padded=False):
    """`content` in `coding`; `padded` gzip carries random bytes that hide its exact length."""
    if coding == BROTLI:
        return brotli.compress(content, quality=BROTLI_QUALITY)
    if coding == GZIP:
        return compress_string(content, max_random_bytes=MAX_RANDOM_BYTES if padded else None)
    return content
