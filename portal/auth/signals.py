"""What auth tells the features, without importing them (they subscribe).

`unverified_login`: the right password for an account still awaiting verification; the feature
that owns such accounts (members) sends a fresh verification link. Sent with `account`.
"""

from blinker import Namespace

_signals = Namespace()
unverified_login = _signals.signal("unverified-login")
