"""Password guessing, slowed without locking the owner out.

Failures (a wrong login password, or a wrong current password on the change-password form) are
counted three ways within `LOGIN_WINDOW_SECONDS`, in the limiter's storage (Redis in production):

- per account *and* address: after `LOGIN_MAX_FAILURES_PER_ACCOUNT` that address gets 429 for
  that account, even with the right password; the owner elsewhere is not affected;
- per address: after `LOGIN_MAX_FAILURES_PER_ADDRESS` that address gets 429 for every account;
- per account, from anywhere: past the first limit each further attempt on the account waits
  longer (¼ s, ½ s, 1 s … up to `LOGIN_MAX_DELAY_SECONDS`) before the password is checked, so a
  guesser spread over many addresses is slowed while the right password still works.

Accounts are counted by the email as typed (normalised), so unknown emails are counted the same.
"""

import hashlib
import hmac
import logging
import time

from flask import current_app, g, has_request_context, request
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError
from werkzeug.exceptions import TooManyRequests

from portal.extensions import limiter

FIRST_DELAY_SECONDS = 0.25
log = logging.getLogger("portal.auth")


def setting(name):
    """A Flask-Limiter limit read from the setting `name` when the request comes (tests change them)."""
    return lambda: current_app.config[name]


def email_key():
    """Flask-Limiter key: the email the form names (normalised), so a limit follows the address typed."""
    return "email:" + (request.form.get("email", "") or "").strip().lower()[:254]


def accepted(_response):
    """Flask-Limiter deduct_when: only a form the view accepted counts (set g.form_accepted)."""
    return g.get("form_accepted", False)


class Throttled(TooManyRequests):
    """Too many failures for this account from this address, or from this address."""

    def __init__(self, retry_after):
        super().__init__(retry_after=retry_after)


def client_address():
    """The client's address (the proxy's view of it when PORTAL_PROXY_HOPS trusts proxies); None
    outside a request."""
    if not has_request_context():
        return None
    return request.remote_addr or "unknown"


def email_digest(email):
    """A keyed hash of a normalised email: the same address gives the same digest, nothing more."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def _limits():
    config = current_app.config
    window = config["LOGIN_WINDOW_SECONDS"]
    per_account = config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    return (
        RateLimitItemPerSecond(per_account, window, namespace="login-account-address"),
        RateLimitItemPerSecond(config["LOGIN_MAX_FAILURES_PER_ADDRESS"], window, namespace="login-address"),
        # Counts only; never refuses. Room for far more failures than anyone would wait for.
        RateLimitItemPerSecond(per_account + 1000, window, namespace="login-account"),
    )


def _keys(email):
    account, address = email_digest(email), client_address()
    return (account, address), (address,), (account,)


def _counting(method, item, keys):
    """Call the limiter's strategy; when its storage (Redis) stops answering, count in memory meanwhile,
    as Flask-Limiter does for its own limits (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)."""
    try:
        return getattr(limiter.limiter, method)(item, *keys)
    except (RedisError, OSError) as error:
        log.warning("login throttle: the rate-limit storage does not answer (%s); counting in memory", error)
        fallback = current_app.extensions.setdefault("login_throttle_fallback",
                                                     FixedWindowRateLimiter(MemoryStorage()))
        return getattr(fallback, method)(item, *keys)


def failures_for_account(email):
    """Failures on this account from every address within the window."""
    item = _limits()[2]
    return item.amount - _counting("get_window_stats", item, _keys(email)[2]).remaining


def delay_for(failures):
    """Seconds to wait before checking a password when the account has had `failures` recently."""
    free = current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    if failures < free:
        return 0.0
    return min(current_app.config["LOGIN_MAX_DELAY_SECONDS"], FIRST_DELAY_SECONDS * 2 ** (failures - free))


def pause(seconds):
    """Wait `seconds` (tests replace this to count the waits instead of sleeping)."""
    if seconds > 0:
        time.sleep(seconds)


def check(email):
    """Raise Throttled when this address may not try this account now; else wait as long as due."""
    for item, keys in zip(_limits()[:2], _keys(email)[:2], strict=True):
        if not _counting("test", item, keys):
            reset = _counting("get_window_stats", item, keys).reset_time
            raise Throttled(retry_after=max(1, int(reset - time.time()) + 1))
    pause(delay_for(failures_for_account(email)))


def failed(email):
    """Count one failure for this account and address."""
    for item, keys in zip(_limits(), _keys(email), strict=True):
        _counting("hit", item, keys)
