#!/usr/bin/env bash
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
