"""API keys for point-of-sale systems: made and revoked by an admin, kept only as a SHA-256 hash.

A key is shown once, when it is made. What is stored is its hash (to recognise it) and a short
prefix (to tell keys apart in the list); the key itself cannot be recovered from either.
"""

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.audit.services import record
from portal.extensions import db
from portal.models import utcnow
from portal.purchases.models import ApiKey

KEY_PREFIX = "pk_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8


def key_hash(plain):
    return hashlib.sha256(plain.encode()).hexdigest()


def create_api_key(name, actor):
    """A new key named `name`: (ApiKey, the key in plain text, to show once); audited."""
    while True:
        plain = KEY_PREFIX + secrets.token_urlsafe(32)
        prefix = plain[:PREFIX_LENGTH]
        if db.session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            break
    api_key = ApiKey(name=name.strip(), prefix=prefix, key_hash=key_hash(plain), created_by_staff_id=actor.id)
    db.session.add(api_key)
    db.session.flush()
    record("api_key.create", api_key, actor=actor, after={"name": api_key.name, "prefix": prefix})
    return api_key, plain


def revoke_api_key(api_key, actor, now=None):
    """Stop `api_key` working from now on (once); audited."""
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = now or utcnow()
    db.session.flush()
    record("api_key.revoke", api_key, actor=actor, after={"name": api_key.name, "prefix": api_key.prefix})
    return api_key


def authenticate(plain, now=None):
    """The live key whose text is `plain`, with its last use set to now; None for any other text."""
    if not plain or not plain.startswith(KEY_PREFIX) or len(plain) > 200:
        return None
    digest = key_hash(plain)
    api_key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    # The lookup is by hash, so timing reveals nothing of the key; compare once more all the same.
    if api_key is None or not hmac.compare_digest(api_key.key_hash, digest) or api_key.revoked_at is not None:
        return None
    api_key.last_used_at = now or utcnow()
    db.session.flush()
    return api_key


def all_api_keys():
    """Every key, newest first, with who made it."""
    return db.session.scalars(
        select(ApiKey).options(joinedload(ApiKey.created_by)).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    ).all()
