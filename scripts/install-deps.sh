#!/usr/bin/env bash
# Installs the system packages tokengate's demo and end-to-end tests use, from Debian/Ubuntu's
# archive: nginx (with the auth_request module, as Debian builds it). Runs apt-get as root,
# through sudo otherwise. Installs nothing that is already there.
set -euo pipefail

missing=()
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then missing+=(nginx); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: nothing to install (nginx is present)"
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
echo "install-deps: done. tokengate runs its own nginx on its own port; Debian's system nginx service (port 80) is not used."
