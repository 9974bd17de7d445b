"""Helpers that several test modules share (the lead consolidates them with tests/conftest.py)."""

import time

import pyotp

from portal.auth import two_factor


def enrol_staff(staff, at=None):
    """Turn on two-factor for `staff` as the enrolment page would; returns (secret, recovery codes).

    The confirming code is taken two time steps ago by default, so that the current code is still
    unused and a test can log in with it.
    """
    at = time.time() - 60 if at is None else at
    secret = two_factor.start_enrolment(staff)
    codes = two_factor.confirm_enrolment(staff, pyotp.TOTP(secret).at(at), now=at)
    assert codes is not None
    return secret, codes


def code_now(secret, offset=0):
    """The authenticator app's code for `secret`, `offset` seconds from now."""
    return pyotp.TOTP(secret).at(time.time() + offset)
