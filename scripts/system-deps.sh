#!/usr/bin/env bash
# Run (not sourced) by ./test: installs the Debian packages the tests need, when they are missing.
# Quick and silent when everything is there: apt-get is not run at all then.
# As root (CI) it installs what is missing with apt-get; otherwise it says what
# to install and fails.
set -euo pipefail

# One line per Debian package: its name, then what shows it is installed:
# a command on PATH or a path (globs allowed), alternatives separated by "|".
# More to come, e.g. "rabbitmq-server /usr/lib/rabbitmq/bin/rabbitmq-server",
# "chromium chromium", "chromium-driver chromedriver".
SYSTEM_PACKAGES=(
    "postgresql /usr/lib/postgresql/*/bin/pg_ctl|pg_ctl"
)

# True when one of the "|"-separated alternatives is there.
present() {
    local alternative path
    local -a alternatives
    IFS='|' read -r -a alternatives <<<"$1"
    for alternative in "${alternatives[@]}"; do
        if [[ "$alternative" == */* ]]; then
            for path in $alternative; do # the glob expands here; when nothing matches it stays as is
                [ -x "$path" ] && return 0
            done
        elif command -v "$alternative" >/dev/null 2>&1; then
            return 0
        fi
    done
    return 1
}

# Sets the array "missing": the packages whose check fails.
find_missing() {
    local entry package check
    missing=()
    for entry in "${SYSTEM_PACKAGES[@]}"; do
        read -r package check <<<"$entry"
        present "$check" || missing+=("$package")
    done
}

find_missing
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need these Debian packages, which are not installed: ${missing[*]}" >&2
    echo "Install them, then run ./test again:  sudo apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "Installing the Debian packages the tests need: ${missing[*]} ..." >&2
log="$(mktemp)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get -qq update && apt-get -qq install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    echo "apt-get failed to install: ${missing[*]}" >&2
    exit 1
fi
rm -f "$log"
installed=("${missing[@]}")
find_missing
if [ "${#missing[@]}" -ne 0 ]; then
    echo "apt-get installed ${installed[*]}, but the tests still cannot find what ${missing[*]} should provide" >&2
    exit 1
fi
