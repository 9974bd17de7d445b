#!/usr/bin/env bash
# The web benchmark's load generator (bench/web.py): Debian's wrk, installed when missing.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's wrk for the web benchmark…"
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  exit 0
fi
if command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo -E apt-get install -y -qq wrk >/dev/null 2>&1 || { sudo apt-get update -qq && sudo -E apt-get install -y -qq wrk >/dev/null; }
  exit 0
fi
echo "wrk is missing and cannot be installed here (no apt-get as root): install Debian's wrk package." >&2
exit 1
