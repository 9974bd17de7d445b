"""Survey pages (scaffold: the helper building the answer page replaces this file)."""

from flask import Blueprint, abort

from portal.surveys import services  # noqa: F401 (the models are mapped when the app is built)

bp = Blueprint("surveys", __name__)


@bp.get("/s/<token>")
def answer(token):
    abort(404)
