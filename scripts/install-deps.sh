#!/bin/sh
# Installs the Debian 12 packages Pingan builds, runs and tests with —
# only those that are missing, so it is quick when everything is there.
# Needs root (or sudo) the first time.  Nothing is downloaded from anywhere
# but Debian's archive.
set -eu

PACKAGES="build-essential cmake pkg-config clang
libmicrohttpd-dev libsqlite3-dev libjansson-dev libsodium-dev libyaml-dev
libcmocka-dev libcurl4-openssl-dev python3 python3-yaml sqlite3 ca-certificates
chromium fonts-noto-cjk
libcairo2-dev libpango1.0-dev libqrencode-dev libqpdf-dev poppler-utils
libxlsxwriter-dev python3-openpyxl zlib1g-dev
wrk curl valgrind
libpq-dev postgresql-15 postgresql-client-15 postgresql-contrib"

# Node.js >= 20.19 builds the web application (Vite). Debian 12's own nodejs
# is 18: it is installed only when no node is present, and then the check
# below says what to do.
if ! command -v node >/dev/null 2>&1; then
  PACKAGES="$PACKAGES nodejs npm"
fi

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: need root to install:$missing" >&2; exit 1; fi
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "install-deps: Node.js $(node --version) is too old for the web build; install Node.js 20.19 or newer" >&2
  fi
fi
