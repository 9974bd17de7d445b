"""The one route that serves uploaded pictures."""

from flask import Blueprint, abort, current_app, send_from_directory

from portal.uploads import pictures

bp = Blueprint("uploads", __name__)

PICTURE_MAX_AGE = 365 * 24 * 3600  # a picture's name changes whenever the picture does


@bp.get("/pictures/<name>")
def picture(name):
    """An uploaded picture, only ever from the upload folder, only with a name store() gives. Pictures
    are catalogue content (a reward, an event's cover), served to anyone: their names are random."""
    if not pictures.NAME.match(name):
        abort(404)
    response = send_from_directory(current_app.config["UPLOAD_DIR"], name, mimetype=pictures.mime_type(name),
                                   max_age=PICTURE_MAX_AGE)
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
