"""Reward pictures: JPEG, PNG or WebP, recognised by their bytes (never by their name), stored
under UPLOAD_DIR with a random name.

The headers are read by hand (no image library): the file must start with the format's
signature and carry sensible dimensions. Nothing here decodes pixels, so a picture cannot make
the server allocate more than the file's own size.
"""

import re
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, request, send_from_directory

EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
ACCEPT = ",".join(["image/jpeg", "image/png", "image/webp"])
NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(png|jpg|webp)$")
FORM_ALLOWANCE = 256 * 1024  # the other fields and the multipart framing around a picture
MIN_SIDE = 16
MAX_SIDE = 8000

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (they carry the dimensions); C4, C8 and CC are other segments.
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class PictureError(ValueError):
    """The upload is not a picture we accept; `code` says why: type, size, dimensions, empty."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass
class Picture:
    kind: str  # png, jpeg, webp
    width: int
    height: int


def inspect(data, max_bytes=None):
    """The kind and dimensions of a JPEG, PNG or WebP file's bytes (at most `max_bytes`, by default
    MAX_PICTURE_BYTES); raises PictureError."""
    if not data:
        raise PictureError("empty")
    if len(data) > (max_bytes or current_app.config["MAX_PICTURE_BYTES"]):
        raise PictureError("size")
    if data.startswith(PNG_SIGNATURE):
        picture = _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        picture = _jpeg(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        picture = _webp(data)
    else:
        raise PictureError("type")
    if picture is None:
        raise PictureError("type")  # the right signature, but not a readable file behind it
    if not (MIN_SIDE <= picture.width <= MAX_SIDE and MIN_SIDE <= picture.height <= MAX_SIDE):
        raise PictureError("dimensions")
    return picture


def _png(data):
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return Picture("png", width, height)


def _jpeg(data):
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if length < 2:
            return None
        if marker in JPEG_SOF:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return Picture("jpeg", width, height)
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        at += 2 + length
    return None


def _webp(data):
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return Picture("webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return Picture("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return Picture("webp", width, height)
    return None


FOLDER = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def upload_dir(folder=None):
    """UPLOAD_DIR, or its subfolder `folder` (a plain name): pictures kept there are out of reach of the
    public /pictures/<name> route, which serves only UPLOAD_DIR itself; their feature serves them."""
    path = Path(current_app.config["UPLOAD_DIR"])
    if folder is not None:
        if not FOLDER.match(folder):
            raise ValueError(f"not a folder name: {folder!r}")
        path = path / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


# The file-name extensions each kind of picture may carry.
NAME_EXTENSIONS = {"png": ("png",), "jpeg": ("jpg", "jpeg", "jpe"), "webp": ("webp",)}


def named_as(picture, filename):
    """Whether `filename`'s extension says what the bytes are (a PNG named photo.jpg does not)."""
    extension = (filename or "").rpartition(".")[2].lower() if "." in (filename or "") else ""
    return extension in NAME_EXTENSIONS[picture.kind]


def store(data, max_bytes=None, folder=None):
    """Check `data` is a picture we accept (at most `max_bytes`, by default MAX_PICTURE_BYTES) and
    save it under a new random name (in the subfolder `folder` of UPLOAD_DIR, if given: see
    upload_dir()); returns the name."""
    picture = inspect(data, max_bytes)
    name = f"{secrets.token_urlsafe(18)}.{EXTENSIONS[picture.kind]}"
    (upload_dir(folder) / name).write_bytes(data)
    return name


def path_of(name, folder=None):
    """Where store() put the picture `name` (in the subfolder `folder`)."""
    if not NAME.match(name or ""):
        raise ValueError(f"not a stored picture's name: {name!r}")
    return upload_dir(folder) / name


def send_private(name, folder, mimetype, download_name):
    """The stored picture `name` of the subfolder `folder` inline, under `download_name`: for a route
    that checked who may see it; not cached, not sniffed. 404 for a name store() does not give."""
    if not NAME.match(name or ""):
        abort(404)
    response = send_from_directory(upload_dir(folder), name, mimetype=mimetype, as_attachment=False,
                                   download_name=download_name or name, max_age=0, conditional=False, etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def mime_type(name):
    """The Content-Type of a stored picture, from the extension store() gave it."""
    return MIME_TYPES[name.rsplit(".", 1)[1]]


def allow_uploads(blueprint, endpoints):
    """Let the routes `endpoints` of `blueprint` accept a picture; the rest of the app keeps
    MAX_CONTENT_LENGTH."""
    @blueprint.url_value_preprocessor
    def allow_pictures(endpoint, _values):
        # Runs before every before_request function, CSRFProtect's included, which reads the form.
        if endpoint in endpoints:
            request.max_content_length = current_app.config["MAX_PICTURE_BYTES"] + FORM_ALLOWANCE
