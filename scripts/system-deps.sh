#!/usr/bin/env bash
# Run (not sourced) by ./run and ./test: installs the Debian packages statscache needs, when they are missing.
# Usage: bash scripts/system-deps.sh PROFILE
#   run   what installing and running statscache needs (pip builds gssapi from source for
#         fedmsg_meta_fedora_infrastructure -> fasjson-client: krb5-config, a C compiler, Python's headers;
#         setup.py installs the pages' chart library with npm)
#   test  all of "run", plus what the tests need (PostgreSQL, RabbitMQ, a headless Chromium and its driver)
# Quick and silent when everything is there: apt-get is not run at all then.
# As root (CI) it installs what is missing with apt-get; otherwise it says what
# to install and fails.
set -euo pipefail

profile="${1:-}"
case "$profile" in
run) profiles=(run) ;;
test) profiles=(run test) ;;
*)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac

# The headers of the Python that .venv is (or will be) made from: pip compiles gssapi against
# them. pyenv's and python.org's builds ship them; Debian's /usr/bin/python3 needs python3-dev.
python_headers() {
    local python="${STATSCACHE_VENV:-.venv}/bin/python"
    if [ ! -x "$python" ]; then
        python="$(source "$(dirname "$0")/venv.sh" && find_python 2>/dev/null)" || return 0
    fi
    "$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"] + "/Python.h")' 2>/dev/null || true
}

# One line per Debian package: the profile that needs it, its name, then what shows it is
# installed: a command on PATH or a path (globs allowed), alternatives separated by "|".
SYSTEM_PACKAGES=(
    "run libkrb5-dev krb5-config"
    "run gcc gcc|cc"
    "run python3-dev $(python_headers)"
    "run npm npm"
    "test postgresql /usr/lib/postgresql/*/bin/pg_ctl|pg_ctl"
    "test rabbitmq-server /usr/lib/rabbitmq/bin/rabbitmq-server"
    "test chromium chromium"
    "test chromium-driver chromedriver"
)

# True when one of the "|"-separated alternatives is there (an empty check always is).
present() {
    local alternative path
    local -a alternatives
    [ -n "$1" ] || return 0
    IFS='|' read -r -a alternatives <<<"$1"
    for alternative in "${alternatives[@]}"; do
        if [[ "$alternative" == */* ]]; then
            for path in $alternative; do # the glob expands here; when nothing matches it stays as is
                [ -e "$path" ] && return 0
            done
        elif command -v "$alternative" >/dev/null 2>&1; then
            return 0
        fi
    done
    return 1
}

# Sets the array "missing": the packages of the profile whose check fails.
find_missing() {
    local entry needed_by package check
    missing=()
    for entry in "${SYSTEM_PACKAGES[@]}"; do
        read -r needed_by package check <<<"$entry"
        [[ " ${profiles[*]} " == *" $needed_by "* ]] || continue
        present "$check" || missing+=("$package")
    done
}

what="running statscache"
[ "$profile" = test ] && what="statscache's tests"

find_missing
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Debian packages missing for $what: ${missing[*]}" >&2
    echo "Install them, then try again:  sudo apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "Installing the Debian packages missing for $what: ${missing[*]} ..." >&2
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
    echo "apt-get installed ${installed[*]}, but $what still cannot find what ${missing[*]} should provide" >&2
    exit 1
fi
