#!/usr/bin/env bash
# Make sure there is an nginx for the scale-out run and its test (Debian's nginx-light; plain nginx
# where the release has no -light package). It is run by the user, never as a service: see
# deploy/nginx-scaleout.conf. Without apt and root the test fails under CI=true and is skipped elsewhere.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
install() {
  export DEBIAN_FRONTEND=noninteractive
  $1 apt-get update -qq
  $1 apt-get install -y -qq nginx-light >/dev/null 2>&1 || $1 apt-get install -y -qq nginx >/dev/null
}
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's nginx-light for the scale-out test…"
    install ""
    exit 0
  fi
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "Installing Debian's nginx-light for the scale-out test…"
    install "sudo -E"
    exit 0
  fi
fi
echo "No nginx, and no apt with root to install it: tests/test_scaleout.py runs without nginx (CI=true: it fails)."
if [ "${CI:-}" = true ]; then exit 1; fi
