"""/healthz: the database and Redis, "ok" or "down", with no login and nothing secret in it."""

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from tests import services


def health(client):
    response = client.get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def without_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.extensions, "redis", None)


def test_without_redis_the_portal_is_healthy_and_says_jobs_have_no_redis(app, client, monkeypatch):
    without_redis(app, monkeypatch)
    assert health(client) == (200, {"status": "ok", "database": "ok", "redis": "not configured"})


def test_with_redis_answering_both_are_ok(app, client, monkeypatch):
    connection = Redis.from_url(services.REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except RedisError:
        services.unavailable(f"Redis at {services.REDIS_URL}")
    monkeypatch.setitem(app.config, "REDIS_URL", services.REDIS_URL)
    monkeypatch.setitem(app.extensions, "redis", connection)
    status, body = health(client)
    assert (status, body) == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    assert "redis://" not in str(body) and "127.0.0.1" not in str(body)


@pytest.mark.parametrize("connection", ["gone", "never"])
def test_a_configured_redis_that_does_not_answer_is_503(app, client, monkeypatch, connection):
    dead = f"redis://127.0.0.1:{services.free_port()}/0"
    monkeypatch.setitem(app.config, "REDIS_URL", dead)
    # It stopped answering after the app started, or never answered (jobs then run inline).
    client_ = Redis.from_url(dead, socket_connect_timeout=1) if connection == "gone" else None
    monkeypatch.setitem(app.extensions, "redis", client_)
    status, body = health(client)
    assert (status, body) == (503, {"status": "unavailable", "database": "ok", "redis": "down"})
    assert "redis://" not in str(body)


def test_a_database_that_does_not_answer_is_503_without_its_error(app, client, monkeypatch):
    without_redis(app, monkeypatch)

    def fails(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("password authentication failed for postgres"))

    monkeypatch.setattr(db.session, "execute", fails)
    status, body = health(client)
    assert (status, body) == (503, {"status": "unavailable", "database": "down", "redis": "not configured"})
