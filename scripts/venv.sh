# Sourced by ./run and ./test: makes .venv with a Python >= 3.11 and installs statscache into it.
# Usage: install_statscache EXTRAS   (EXTRAS: "" or "[test]")
set -euo pipefail

find_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "statscache needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    exit 1
}

install_statscache() {
    local extras="$1" venv="${STATSCACHE_VENV:-.venv}" stamp
    if [ ! -x "$venv/bin/python" ]; then
        "$(find_python)" -m venv "$venv"
    fi
    # Reinstall only when the package definition changed (editable: code changes need nothing),
    # or the chart library the install step copies into the package is missing.
    stamp="$venv/.installed$extras"
    if [ ! -f "$stamp" ] || [ setup.py -nt "$stamp" ] || [ package-lock.json -nt "$stamp" ] ||
       [ ! -f statscache/web/static/vendor/uPlot.iife.min.js ]; then
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" -m pip install --quiet -e ".$extras"
        touch "$stamp"
    fi
    VENV_BIN="$(cd "$venv/bin" && pwd)"
    export PATH="$VENV_BIN:$PATH"
}
