#!/usr/bin/env bash
# Installs the system packages tokengate's demo and end-to-end tests use, from Debian/Ubuntu's
# archive: nginx (with the auth_request module, as Debian builds it) and chromium for the browser
# suite (playwright-core drives it and downloads no browser of its own), with fonts-dejavu-core:
# without recommends a headless chromium may otherwise have no font and draw no text at all.
# Runs apt-get as root, through sudo otherwise. Installs nothing that is already there.
set -euo pipefail

# CHROMIUM_BIN (the tests' override) names a browser of your own: installed by you, not here.
chromium="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ -n "${CHROMIUM_BIN:-}" ] && [ ! -x "$CHROMIUM_BIN" ]; then
  echo "install-deps: CHROMIUM_BIN=$CHROMIUM_BIN is not an executable; unset it to install Debian's chromium" >&2
  exit 1
fi

missing=()
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then missing+=(nginx); fi
if [ ! -x "$chromium" ]; then missing+=(chromium fonts-dejavu-core); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: nothing to install (nginx and $chromium are present)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: no apt-get here; install ${missing[*]} with your system's package manager" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: run as root, or install sudo, to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo="sudo"
fi

echo "install-deps: installing ${missing[*]}"
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done. tokengate runs its own nginx on its own port; Debian's system nginx service (port 80) is not used. The browser tests run /usr/bin/chromium headless (CHROMIUM_BIN overrides it)."
