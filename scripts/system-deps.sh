#!/usr/bin/env bash
# The Debian packages the test suite drives for real, installed when missing
# (CI runs as root on a fresh Debian machine): redis-server for the relay's
# Redis store and redis-sentinel for its failover test; chromium for the
# hosted checkout driven by playwright-core;
# php-cli and python3-cryptography to run the API reference's own PHP and
# Python webhook verification samples against what the sandbox sends;
# dbus-daemon, gnome-keyring and secret-tool (libsecret-tools) for a real
# Secret Service behind the live-key keychain tests (test/helpers/secret-service.ts).
# `npm test` runs this first (package.json "pretest").
# Off Debian or without root, it says what is missing and lets the tests say the rest.
set -euo pipefail
packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || packages+=(redis-sentinel)
# `ip netns` and veth pairs for the relay test across a network boundary.
command -v ip >/dev/null 2>&1 || packages+=(iproute2)
[ -x /usr/bin/chromium ] || packages+=(chromium fonts-liberation)
command -v php >/dev/null 2>&1 || packages+=(php-cli)
/usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1 || packages+=(python3-cryptography)
command -v dbus-daemon >/dev/null 2>&1 || packages+=(dbus-daemon)
command -v dbus-send >/dev/null 2>&1 || packages+=(dbus-bin)
# dbus-x11 satisfies gnome-keyring's need for a session bus package; apt's first choice, dbus-user-session, brings systemd.
command -v gnome-keyring-daemon >/dev/null 2>&1 || packages+=(gnome-keyring dbus-x11)
command -v secret-tool >/dev/null 2>&1 || packages+=(libsecret-tools)
# curl: the inspector's "copy as curl" command is run as a user would paste it (test/e2e/inspector-browser.test.ts).
command -v curl >/dev/null 2>&1 || packages+=(curl)
# faketime (libfaketime): the relay run with its clock days ahead (test/e2e/relay-clock.test.ts).
command -v faketime >/dev/null 2>&1 || packages+=(faketime)
# fish: `ummah completion fish` loaded in a real fish and asked what it completes (test/cli/completion.test.ts).
command -v fish >/dev/null 2>&1 || packages+=(fish)
# man (man-db, with groff): the generated man pages rendered as `man -l` shows them (test/cli/man.test.ts).
command -v man >/dev/null 2>&1 || packages+=(man-db)
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${packages[*]}; install them (Debian: apt-get install -y ${packages[*]})" >&2
  exit 0
fi
echo "system-deps: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian starts the packaged service; the tests start their own servers on free ports.
(command -v service >/dev/null 2>&1 && service redis-server stop >/dev/null 2>&1) || true
(command -v service >/dev/null 2>&1 && service redis-sentinel stop >/dev/null 2>&1) || true
