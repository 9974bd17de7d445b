"""/healthz: whether the database and Redis answer, for a load balancer or a monitor.

No login and nothing secret in it (no address, no version, no error text): "ok", "down", or for
Redis "not configured" (the jobs then run inline, in the web process). 200 when the portal can
serve, 503 when the database or a configured Redis does not answer."""

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

bp = Blueprint("health", __name__)


def database_state():
    """"ok" when the database answers a query, else "down"."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return "down"
    finally:
        db.session.rollback()  # hold no transaction (on SQLite, no lock) past the check
    return "ok"


def redis_state():
    """"ok", "down", or "not configured" when REDIS_URL is not set."""
    if not current_app.config.get("REDIS_URL"):
        return "not configured"
    connection = current_app.extensions.get("redis")
    if connection is None:  # it did not answer when the app started: jobs run inline
        return "down"
    try:
        connection.ping()
    except RedisError:
        return "down"
    return "ok"


@bp.get("/healthz")
def healthz():
    checks = {"database": database_state(), "redis": redis_state()}
    healthy = checks["database"] == "ok" and checks["redis"] != "down"
    response = jsonify(status="ok" if healthy else "unavailable", **checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
