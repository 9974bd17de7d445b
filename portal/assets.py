"""Static files: fingerprinted names, cached for a year, pre-compressed, served by WhiteNoise.

When the app is made, every file under static/ is hashed (SHA-256 of its content, 12 hex digits)
and copied under ASSETS_DIR as `name.<hash>.ext`, with a brotli (`.br`) and a gzip (`.gz`) copy of
the text files beside it; what is already there is kept (a name says its content, so two processes
starting together write the same files, each through a temporary file). `url_for('static', ...)`
then yields the hashed name, which WhiteNoise serves with `Cache-Control: public, max-age=31536000,
immutable` and the smallest encoding the browser accepts: a repeat visit asks for none of them. The
plain names keep working, revalidated after a minute (ETag, 304). A change to a file changes its
name, so a browser never keeps an old one. No build step: `make run`, production and the tests all
start the same way.

In debug mode (`make dev`) none of this: Flask serves static/ as it stands, revalidated on every
request, so an edited file shows on the next reload.
"""

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

import brotli
from whitenoise import WhiteNoise

HASH_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
UNHASHED_MAX_AGE = 60  # seconds: the plain names, for anything that links to one by hand
# Text worth compressing; images (other than SVG), fonts (woff2) and archives are compressed already.
COMPRESSIBLE = {".css", ".js", ".mjs", ".svg", ".json", ".webmanifest", ".txt", ".map", ".ico", ".xml", ".html"}
MIN_COMPRESS_BYTES = 256  # below this the encoding headers cost more than compression saves


def hashed_name(name, data):
    """`css/portal.css` → `css/portal.<12 hex digits of its SHA-256>.css`."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    stem, dot, extension = name.rpartition(".")
    return f"{stem}.{digest}.{extension}" if dot and "/" not in extension else f"{name}.{digest}"


def _write(path, data):
    """Write `path` unless it exists, through a temporary file: a reader never sees half of it."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def _compressed_variants(data):
    """The .br and .gz bodies worth keeping: those at least 5 % smaller than the file."""
    variants = {".br": brotli.compress(data, quality=11), ".gz": gzip.compress(data, 9, mtime=0)}
    return {suffix: body for suffix, body in variants.items() if len(body) < len(data) * 0.95}


def build(static_dir, assets_dir):
    """Copy every file of `static_dir` under its hashed name (and compressed variants) into
    `assets_dir`; return the manifest {name: hashed name}, names relative to static/ with '/'."""
    static_dir, assets_dir = Path(static_dir), Path(assets_dir)
    manifest = {}
    for path in sorted(static_dir.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(static_dir).parts):
            continue
        name = path.relative_to(static_dir).as_posix()
        data = path.read_bytes()
        hashed = hashed_name(name, data)
        target = assets_dir / hashed
        if not target.exists() and path.suffix.lower() in COMPRESSIBLE and len(data) >= MIN_COMPRESS_BYTES:
            for suffix, body in _compressed_variants(data).items():
                _write(target.with_name(target.name + suffix), body)
        _write(target, data)  # last: its presence says the variants are done too
        manifest[name] = hashed
    return manifest


def _static_headers(manifest):
    hashed = {"/static/" + name for name in manifest.values()}

    def add_headers(headers, path, url):
        """WhiteNoise's hook: hashed names are immutable for a year; every file is nosniff."""
        if url in hashed:
            headers["Cache-Control"] = IMMUTABLE
        headers["X-Content-Type-Options"] = "nosniff"

    return add_headers


def init_app(app):
    """Fingerprint static/ and serve it through WhiteNoise (not in debug mode)."""
    if app.debug:
        return
    assets_dir = app.config.get("ASSETS_DIR") or str(Path(app.instance_path) / "static")
    manifest = build(app.static_folder, assets_dir)
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def fingerprint(endpoint, values):
        if endpoint == "static":
            values["filename"] = manifest.get(values.get("filename"), values.get("filename"))

    static = WhiteNoise(app.wsgi_app, max_age=UNHASHED_MAX_AGE, allow_all_origins=False,
                        add_headers_function=_static_headers(manifest))
    static.add_files(assets_dir, prefix="static/")  # hashed names (and the older ones still there)
    static.add_files(app.static_folder, prefix="static/")  # the plain names, revalidated
    app.wsgi_app = static
