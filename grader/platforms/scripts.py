"""The two scripts Gradescope runs from the autograder zip, and the settings file they
share (grader.env, written by `grade gradescope` for one assignment).

Both take their root from $AUTOGRADER_ROOT (default /autograder), so a test can run them
against a temporary folder laid out like Gradescope's. Overrides, for tests and unusual
images: GRADER_PYTHON (an interpreter to build the venv from, instead of installing
one), GRADER_VENV, GRADER_STUDENT_USER, GRADER_ISOLATION=user (run student code as the
separate user even where bubblewrap works), GRADER_TIME_LIMIT_S.
"""

from __future__ import annotations

import json
import shlex

FAILED_MESSAGE = (
    "The autograder could not grade this submission. This is a problem of the autograder, "
    "not of your code: your instructor can see what went wrong. You may submit again later."
)
# results.json when no grader could write one (run_autograder writes it with bash alone).
FALLBACK = {
    "score": 0.0,
    "execution_time": 0.0,
    "output": f"**{FAILED_MESSAGE}**",
    "output_format": "md",
    "visibility": "visible",
    "stdout_visibility": "hidden",
    "tests": [],
    "extra_data": {
        "status": "infra_error",
        "problem": "run_autograder: the grader wrote no valid results.json",
    },
}


def grader_env(
    *, assignment_dir: str, wheel: str, version: str, user: str, time_limit_s: int
) -> str:
    """grader.env: what setup.sh and run_autograder need to know about this zip."""
    values = {
        "GRADER_ASSIGNMENT_DIR": assignment_dir,
        "GRADER_WHEEL": wheel,
        "GRADER_BUILT_VERSION": version,
        "GRADER_DEFAULT_USER": user,
        "GRADER_DEFAULT_TIME_LIMIT_S": str(time_limit_s),
    }
    lines = ["# Written by `grade gradescope`; read by setup.sh and run_autograder."]
    lines += [f"{key}={shlex.quote(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image.
# It installs a Python of its own (the image's python3 belongs to Gradescope's harness),
# the grader into a venv of its own, bubblewrap when the image has apt, and the
# unprivileged user student code runs as where bubblewrap cannot.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${GRADER_VENV:-$ROOT/grader-venv}"
# shellcheck source=/dev/null
. "$SOURCE/grader.env"
STUDENT_USER="${GRADER_STUDENT_USER:-$GRADER_DEFAULT_USER}"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
say() { printf 'setup.sh: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

apt_ready=""
apt_install() {
    have apt-get || return 1
    if [ -z "$apt_ready" ]; then apt-get update -qq && apt_ready=1; fi
    apt-get install -y -qq --no-install-recommends "$@"
}

PY="${GRADER_PYTHON:-}"
if [ -z "$PY" ]; then
    for v in 3.13 3.12 3.11; do
        if have apt-get && apt_install "python$v" "python$v-venv" >/dev/null 2>&1; then
            PY="$(command -v "python$v")" && break
        elif have dnf && dnf install -y -q "python$v" >/dev/null 2>&1; then
            PY="$(command -v "python$v")" && break
        fi
    done
fi
if [ -z "$PY" ] || ! "$PY" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))'; then
    say "found no way to install Python 3.11 or later (tried apt and dnf); choose an"
    say "Ubuntu base image, or set GRADER_PYTHON to an interpreter."
    exit 1
fi
say "Python for the grader: $PY ($("$PY" -V 2>&1))"

# The sandbox: bubblewrap, plus the tools the fallback uses (setpriv and prlimit from
# util-linux, ip from iproute2). Where none can be installed the grader still runs
# student code as a separate user; run_autograder's stdout says which isolation it got.
if ! have bwrap; then apt_install bubblewrap || say "bubblewrap not installed"; fi
if ! have setpriv || ! have prlimit; then apt_install util-linux || true; fi
if ! have ip; then apt_install iproute2 || true; fi

"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet "$SOURCE/$GRADER_WHEEL"
# The grader's venv (with its bundled reference and checks) is root's alone: student code
# runs under the interpreter the venv was made from ($PY), never the venv's.
chmod 0700 "$VENV"

if ! id -u "$STUDENT_USER" >/dev/null 2>&1; then
    adduser "$STUDENT_USER" --no-create-home --disabled-password --gecos "" >/dev/null 2>&1 ||
        useradd --no-create-home --shell /usr/sbin/nologin "$STUDENT_USER"
fi
say "where bubblewrap cannot run, student code runs as a uid of its own ('$STUDENT_USER' allows it)"
"$VENV/bin/grade" --version
"$VENV/bin/grade" --check-sandbox || true
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this, as root, for each submission. It always leaves a valid
# results/results.json: the grader's own, or (if the grader could not write one) a zero
# that says the autograder failed, not the student. Its stdout is for instructors only.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${GRADER_VENV:-$ROOT/grader-venv}"
RESULTS="$ROOT/results"
# shellcheck source=/dev/null
. "$SOURCE/grader.env"
STUDENT_USER="${GRADER_STUDENT_USER:-$GRADER_DEFAULT_USER}"
LIMIT_S="${GRADER_TIME_LIMIT_S:-$GRADER_DEFAULT_TIME_LIMIT_S}"
cd "$ROOT" || exit 0
mkdir -p "$RESULTS"
chmod 0700 "$RESULTS"
rm -f "$RESULTS/results.json"
# Nothing of the grader's, nor the metadata, for the user student code runs as.
chmod o= "$SOURCE" 2>/dev/null || true
chmod 0700 "$VENV" 2>/dev/null || true
chmod o= "$ROOT/submission_metadata.json" 2>/dev/null || true

extra=()
if [ -n "${GRADER_ISOLATION:-}" ]; then extra+=(--isolation "$GRADER_ISOLATION"); fi
timeout --kill-after=10 "$LIMIT_S" "$VENV/bin/grade" gradescope --run --root "$ROOT" \
    --assignment "$SOURCE/$GRADER_ASSIGNMENT_DIR" --user "$STUDENT_USER" "${extra[@]}"
status=$?

valid() {
    "$VENV/bin/python" -I -c '
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(not (isinstance(doc, dict) and isinstance(doc.get("score"), (int, float))))
' "$RESULTS/results.json" 2>/dev/null
}
if ! valid; then
    printf 'run_autograder: %s\n' \
        "the grader ended with status $status and no valid results.json;" \
        "writing one that says the autograder failed (score 0)."
    cat >"$RESULTS/.results.json.tmp" <<'JSON'
@FALLBACK@
JSON
    mv -f "$RESULTS/.results.json.tmp" "$RESULTS/results.json"
fi
exit 0
""".replace("@FALLBACK@", json.dumps(FALLBACK))
