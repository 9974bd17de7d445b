"""Static files: fingerprinted names, a year's immutable cache, pre-compressed bodies (portal/assets.py),
and compressed pages (portal/compression.py)."""

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest
from flask import url_for

from portal import assets, create_app
from tests.factories import make_member
from tests.helpers import ROOT, html, login, test_settings

STATIC = ROOT / "static"
BR = {"Accept-Encoding": "br, gzip"}
IMMUTABLE = "public, max-age=31536000, immutable"
# What a page loads: stylesheets, icons, scripts, pictures (not the links a member may follow).
ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"')
STATIC_URL = re.compile(r'"(/static/[^"]+)"')


def decoded(response):
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    return brotli.decompress(body) if encoding == "br" else gzip.decompress(body) if encoding == "gzip" else body


@pytest.fixture
def static_client(plain_app):
    return plain_app.test_client()


def test_every_static_file_gets_a_name_from_its_content(plain_app):
    manifest = plain_app.extensions["static_manifest"]
    files = {p.relative_to(STATIC).as_posix(): p for p in STATIC.rglob("*") if p.is_file()}
    assert set(manifest) == set(files)
    for name, path in files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        stem, _, extension = name.rpartition(".")
        assert manifest[name] == f"{stem}.{digest}.{extension}"
    assert url_for("static", filename="css/portal.css") == "/static/" + manifest["css/portal.css"]


def test_a_changed_file_gets_a_new_name_and_the_old_one_stays(tmp_path):
    static, built = tmp_path / "static", tmp_path / "built"
    (static / "css").mkdir(parents=True)
    (static / "css" / "a.css").write_text("body { color: red; }\n" * 50)
    first = assets.build(static, built)["css/a.css"]
    assert (built / first).read_bytes() == (static / "css" / "a.css").read_bytes()
    assert brotli.decompress((built / (first + ".br")).read_bytes()) == (static / "css" / "a.css").read_bytes()
    assert gzip.decompress((built / (first + ".gz")).read_bytes()) == (static / "css" / "a.css").read_bytes()
    assert assets.build(static, built)["css/a.css"] == first  # the same content, the same name
    (static / "css" / "a.css").write_text("body { color: blue; }\n" * 50)
    second = assets.build(static, built)["css/a.css"]
    assert second != first and (built / first).exists() and (built / second).exists()


def test_small_and_already_compressed_files_get_no_compressed_copies(tmp_path):
    static, built = tmp_path / "static", tmp_path / "built"
    static.mkdir()
    (static / "tiny.js").write_text("x=1")
    (static / "photo.png").write_bytes(b"\x89PNG" + bytes(range(256)) * 8)
    manifest = assets.build(static, built)
    assert not list(built.glob("*.br")) and not list(built.glob("*.gz"))
    assert sorted(p.name for p in built.iterdir()) == sorted(manifest.values())


def test_a_hashed_name_is_served_immutable_and_compressed(static_client, plain_app):
    url = url_for("static", filename="vendor/htmx-2.0.11.min.js")
    original = (STATIC / "vendor/htmx-2.0.11.min.js").read_bytes()
    brotli_response = static_client.get(url, headers=BR)
    assert brotli_response.status_code == 200
    assert brotli_response.headers["Cache-Control"] == IMMUTABLE
    assert brotli_response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in brotli_response.headers["Vary"]
    assert brotli_response.headers["X-Content-Type-Options"] == "nosniff"
    assert brotli_response.mimetype == "text/javascript"
    assert decoded(brotli_response) == original
    assert len(brotli_response.get_data()) < len(original) / 3
    gzip_response = static_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gzip_response.headers["Content-Encoding"] == "gzip" and decoded(gzip_response) == original
    plain = static_client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.get_data() == original


def test_a_plain_name_still_works_with_a_short_cache_and_a_304(static_client):
    response = static_client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert response.get_data() == (STATIC / "css/portal.css").read_bytes()
    assert response.headers["Cache-Control"] == "max-age=60, public"
    etag = response.headers["ETag"]
    again = static_client.get("/static/css/portal.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_an_unknown_static_file_is_a_404(static_client):
    assert static_client.get("/static/css/nothing.css").status_code == 404
    assert static_client.get("/static/css/portal.000000000000.css").status_code == 404


def test_debug_mode_serves_static_as_it_stands(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(test_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path))
    assert app.debug and "static_manifest" not in app.extensions
    with app.test_request_context():
        assert url_for("static", filename="css/portal.css") == "/static/css/portal.css"
    response = app.test_client().get("/static/css/portal.css")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    response.close()


def test_every_asset_a_member_page_loads_is_hashed_and_immutable(client, app):
    """A repeat visit costs one request: the page; everything it loads is cached for a year."""
    make_member(email="mei@example.com")
    login(client, "mei@example.com")
    manifest = set(app.extensions["static_manifest"].values())
    for path in ["/", "/points", "/benefits", "/card", "/rewards", "/events", "/tickets", "/profile",
                 "/notifications", "/surveys"]:
        page = client.get(path, headers=BR)
        assert page.status_code == 200, path
        text = decoded(page).decode()
        loaded = ASSET.findall(text)
        assert loaded, path
        for url in set(loaded) | set(STATIC_URL.findall(text)):
            assert url.startswith("/static/") and url[len("/static/"):] in manifest, (path, url)
            asset = client.get(url, headers=BR)
            assert asset.status_code == 200 and asset.headers["Cache-Control"] == IMMUTABLE, (path, url)


def test_the_login_page_loads_only_hashed_assets_and_no_script(client, app):
    manifest = set(app.extensions["static_manifest"].values())
    page = html(client.get("/login"))
    loaded = ASSET.findall(page)
    assert len(loaded) >= 2 and all(url[len("/static/"):] in manifest for url in loaded)
    assert "<script" not in page  # nothing to run before the first tap (its form posts without htmx)
    assert "<script" in html(client.get("/signup"))  # the other pages keep theirs


def tokenless(page):
    """The page without its CSRF tokens, which change from one second to the next."""
    return re.sub(rb'(X-CSRFToken": "|name="csrf_token" value=")[^"]+', rb"\1", page)


def test_pages_and_htmx_fragments_are_compressed_and_vary_on_the_encoding(client):
    make_member(email="mei@example.com")
    login(client, "mei@example.com")
    page = client.get("/points", headers=BR)
    assert page.headers["Content-Encoding"] == "br"
    assert {"Accept-Encoding", "HX-Request"} <= set(page.headers["Vary"].replace(" ", "").split(","))
    assert "<html" in decoded(page).decode()
    gzipped = client.get("/points", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip" and tokenless(decoded(gzipped)) == tokenless(decoded(page))
    plain = client.get("/points")
    assert "Content-Encoding" not in plain.headers and tokenless(plain.get_data()) == tokenless(decoded(page))
    fragment = client.get("/points?kind=earn", headers={**BR, "HX-Request": "true"})
    assert fragment.status_code == 200
    assert {"Accept-Encoding", "HX-Request"} <= set(fragment.headers["Vary"].replace(" ", "").split(","))
    assert "<html" not in decoded(fragment).decode()


def test_small_responses_are_not_compressed(client):
    response = client.get("/healthz", headers=BR)
    assert response.status_code == 200 and len(response.get_data()) < 500
    assert "Content-Encoding" not in response.headers


def test_pictures_are_not_compressed_again(client, app):
    upload = Path(app.config["UPLOAD_DIR"])
    upload.mkdir(parents=True, exist_ok=True)
    jpeg = b"\xff\xd8\xff\xe0" + bytes(256) * 20  # compresses well, were it compressed
    name = "compression-test-picture.jpg"
    (upload / name).write_bytes(jpeg)
    response = client.get(f"/pictures/{name}", headers=BR)
    assert response.status_code == 200, response.status_code
    assert "Content-Encoding" not in response.headers and response.get_data() == jpeg


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_pages_another_site_asks_for_are_not_compressed(client, site):
    """BREACH: a request another site set off gets an answer whose size says nothing (docs/security.md)."""
    make_member(email="mei@example.com")
    login(client, "mei@example.com")
    response = client.get("/points?q=guess", headers={**BR, "Sec-Fetch-Site": site})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert "<html" in html(response)
    assert "Sec-Fetch-Site" in response.headers["Vary"]
    own = client.get("/points?q=guess", headers={**BR, "Sec-Fetch-Site": "same-origin"})
    assert own.headers["Content-Encoding"] == "br"
    typed = client.get("/points", headers={**BR, "Sec-Fetch-Site": "none"})
    assert typed.headers["Content-Encoding"] == "br"
