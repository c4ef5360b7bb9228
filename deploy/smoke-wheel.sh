#!/usr/bin/env bash
# Build syncd's wheel, install it into a fresh virtualenv with no extras, and use it as a new user
# would, away from the checkout: `syncd --version`, `syncd demo`, and `syncd db upgrade` + `db check`
# on a fresh PostgreSQL database (created here, dropped at the end). No SYNCD_MIGRATIONS: the
# migrations must come from the wheel.
#
#   deploy/smoke-wheel.sh [POSTGRES_HOST_URL]     # default postgresql://postgres@127.0.0.1:5432
#
# Dependencies come from requirements.lock with --require-hashes (as in the image), so the lock is
# proven complete for the wheel too (`pip check`).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PG="${1:-postgresql://postgres@127.0.0.1:5432}"
PYTHON="${PYTHON:-python3}"
DB="syncd_wheel_smoke_$$"

log() { printf '[smoke-wheel %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
quiet_pip() {  # pip's output only when it fails (this machine's pip config warns about local indexes)
    "$@" >"$WORK/pip.log" 2>&1 || { grep -v "Location 'file:" "$WORK/pip.log" | tail -30; return 1; }
}

WORK="$(mktemp -d /tmp/syncd-wheel.XXXXXX)"
cleanup() {
    psql "$PG/postgres" -qX -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log "building the wheel"
quiet_pip "$PYTHON" -m pip wheel --no-deps --wheel-dir "$WORK/dist" "$REPO"
wheel="$(ls "$WORK"/dist/syncd-*.whl)"
"$PYTHON" -c 'import sys, zipfile; sys.exit("syncd/_migrations/env.py" not in zipfile.ZipFile(sys.argv[1]).namelist())' \
    "$wheel" || { echo "the wheel has no migrations (pyproject.toml: syncd._migrations)" >&2; exit 1; }

log "installing $(basename "$wheel") into a fresh virtualenv (locked dependencies, no extras)"
"$PYTHON" -m venv "$WORK/venv"
quiet_pip "$WORK/venv/bin/python" -m pip install --require-hashes -r "$REPO/requirements.lock"
quiet_pip "$WORK/venv/bin/python" -m pip install --no-deps "$wheel"
"$WORK/venv/bin/python" -m pip check
"$WORK/venv/bin/python" -c "from syncd.bankfiles.camt_tree import compiled_reader as c; assert c(), 'no compiled camt reader'" \
    || { echo "the wheel was built without its compiled camt reader (a C compiler and Python.h are needed)" >&2; exit 1; }
for extra in jsonschema openapi_schema_validator yaml pytest; do
    if "$WORK/venv/bin/python" -c "import $extra" 2>/dev/null; then
        echo "$extra is installed: the smoke test would not prove syncd runs without extras" >&2
        exit 1
    fi
done

mkdir "$WORK/home"
cd "$WORK/home"
syncd() { env -u SYNCD_MIGRATIONS -u SYNCD_DATABASE_URL -u PYTHONPATH "$WORK/venv/bin/syncd" "$@"; }
origin="$("$WORK/venv/bin/python" -c 'import syncd, sys; print(syncd.__file__)')"
case "$origin" in "$WORK"/venv/*) ;; *) echo "syncd imported from $origin, not the wheel" >&2; exit 1 ;; esac

log "syncd --version"
syncd --version
log "syncd demo"
syncd demo --workdir "$WORK/demo" >"$WORK/demo.log" 2>&1 || { tail -40 "$WORK/demo.log"; exit 1; }
grep -E "requests of the .* a company may make a month" "$WORK/demo.log"

log "syncd web: its templates and vendored htmx come from the wheel"
"$WORK/venv/bin/python" - "$WORK/demo/syncd.sqlite3" <<'PY'
import sys
from pathlib import Path
from pydantic import SecretStr
from syncd.app import App
from syncd.settings import Settings
from syncd.web import app as web

assert str(web.STATIC).startswith(sys.prefix), f"syncd.web from {web.STATIC}, not the wheel"
assert (web.STATIC / "htmx.min.js").stat().st_size > 10_000, "htmx is not in the wheel"
page = web._environment().get_template("login.html").render(user=None, company=None, csrf="x", flash=[], next="/", path="/login")
assert "Sign in to syncd" in page
web.create_app(App(Settings(database_url=SecretStr(f"sqlite:///{sys.argv[1]}"), state_dir=Path("."))))
PY

log "syncd db upgrade and db check on a fresh PostgreSQL database"
psql "$PG/postgres" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" >/dev/null
url="postgresql+psycopg://${PG#postgresql://}/$DB"
SYNCD_DATABASE_URL="$url" syncd db upgrade 2>"$WORK/upgrade.log" || { cat "$WORK/upgrade.log"; exit 1; }
SYNCD_DATABASE_URL="$url" syncd db check 2>"$WORK/check.log" || { cat "$WORK/check.log"; exit 1; }
log "wheel OK"
