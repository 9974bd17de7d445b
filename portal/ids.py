"""Integer ids from URLs and query strings, kept within the database's integer columns.

PostgreSQL raises on a number beyond a 32-bit integer column (SQLite does not), so an id such as
/rewards/99999999999999999999 must be refused before it reaches a query: 404 in a path, 422 in a
query string, never 500.
"""

from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # INTEGER in PostgreSQL, the type of every id column


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a non-negative number up to MAX_ID, else the URL does not match (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def query_int(name, default=None):
    """The integer query parameter `name`: `default` when absent or not a number, 422 beyond the range."""
    value = request.args.get(name, type=int)
    if value is None:
        return default
    if not -MAX_ID <= value <= MAX_ID:
        abort(422)
    return value


def init_app(app):
    """Make `<int:...>` the bounded converter (before any route is added)."""
    app.url_map.converters["int"] = IdConverter
