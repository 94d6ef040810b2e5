#!/usr/bin/env bash
# Installs the system packages tokengate's demo and end-to-end tests use, from Debian/Ubuntu's
# archive: nginx (with the auth_request module, as Debian builds it), redis-server (the shared
# store of several signer instances; the tests start private ones on free ports), redis-sentinel
# (the failover suite and `npm run sentinels` run a master, a replica and three sentinels; Debian's
# package is the same server binary under the name Sentinel mode wants) and chromium for
# the browser suite (playwright-core drives it and downloads no browser of its own), with
# fonts-dejavu-core: without recommends a headless chromium may otherwise have no font and draw
# no text at all. curl too: the server-to-server suite calls through nginx with the real curl
# binary, as the docs' shell examples do.
# `--with-fail2ban` also installs fail2ban, whose fail2ban-regex checks the shipped filter against
# the signer's log lines (CI does this; on your own machine it would also start the fail2ban
# service, so it is opt-in).
# `--with-openresty` also installs nginx's Lua module with lua-resty-core and lua-cjson (Debian's
# packages: OpenResty-compatible Lua in the stock nginx), for the OpenResty front (FRONT=openresty).
# `--with-bench` also installs what `npm run bench` can use beyond nginx: wrk (the load generator it
# prefers to autocannon), and the Lua module, for the OpenResty front's row and the in-process Lua
# reference.
# Runs apt-get as root, through sudo otherwise. Installs nothing that is already there.
set -euo pipefail

# CHROMIUM_BIN (the tests' override) names a browser of your own: installed by you, not here.
chromium="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ -n "${CHROMIUM_BIN:-}" ] && [ ! -x "$CHROMIUM_BIN" ]; then
  echo "install-deps: CHROMIUM_BIN=$CHROMIUM_BIN is not an executable; unset it to install Debian's chromium" >&2
  exit 1
fi

with_fail2ban=false
with_bench=false
with_openresty=false
for arg in "$@"; do
  case "$arg" in
    --with-fail2ban) with_fail2ban=true ;;
    --with-openresty) with_openresty=true ;;
    --with-bench) with_bench=true; with_openresty=true ;;
    *) echo "install-deps: unknown argument $arg (only --with-fail2ban, --with-openresty, --with-bench)" >&2; exit 2 ;;
  esac
done

missing=()
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then missing+=(nginx); fi
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then missing+=(redis-server); fi
if ! command -v redis-sentinel >/dev/null 2>&1 && [ ! -x /usr/bin/redis-sentinel ]; then missing+=(redis-sentinel); fi
if [ ! -x "$chromium" ]; then missing+=(chromium fonts-dejavu-core); fi
if ! command -v curl >/dev/null 2>&1; then missing+=(curl); fi
if $with_fail2ban && ! command -v fail2ban-regex >/dev/null 2>&1; then missing+=(fail2ban); fi
if $with_bench && ! command -v wrk >/dev/null 2>&1; then missing+=(wrk); fi
if $with_openresty; then
  if [ ! -f /usr/lib/nginx/modules/ngx_http_lua_module.so ]; then missing+=(libnginx-mod-http-lua); fi
  if [ ! -f /usr/share/lua/5.1/resty/core.lua ]; then missing+=(lua-resty-core); fi
  if ! compgen -G '/usr/lib/*/lua/5.1/cjson.so' >/dev/null && [ ! -f /usr/local/lib/lua/5.1/cjson.so ]; then missing+=(lua-cjson); fi
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: nothing to install (nginx, redis-server, redis-sentinel, curl and $chromium are present)"
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
echo "install-deps: done. tokengate runs its own nginx and redis-server on their own ports; Debian's system services (nginx on port 80, redis on 6379, redis-sentinel on 26379) are not used. The browser tests run /usr/bin/chromium headless (CHROMIUM_BIN overrides it)."
