"""Gradescope's setup.sh and run_autograder are files of the package, not strings in
Python: shellcheck finds nothing in them, the zip carries setup.sh byte for byte and
run_autograder with only its one placeholder filled (the results.json it writes when the
grader could not), and grader.env quotes what it holds. Running them is
tests/e2e/test_gradescope.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from grader.model import Assignment
from grader.platforms.gradescope import build, scripts

SCRIPTS = ("setup.sh", "run_autograder")


def package_file(name: str) -> bytes:
    return resources.files("grader.platforms.gradescope").joinpath(name).read_bytes()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="needs shellcheck (`make setup`)")
@pytest.mark.parametrize("name", SCRIPTS)
def test_shellcheck_finds_nothing_in_the_scripts(name: str) -> None:
    path = resources.files("grader.platforms.gradescope").joinpath(name)
    assert isinstance(path, Path)  # an installed or checked-out package, not a zip
    done = subprocess.run(
        ["shellcheck", "--shell=bash", "--severity=style", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fallback_placeholder_is_one_line_of_a_quoted_here_document() -> None:
    script = package_file("run_autograder").decode()
    placeholder = scripts.FALLBACK_PLACEHOLDER
    assert script.count(placeholder) == 1
    before, after = script.split(f"\n{placeholder}\n")
    assert before.endswith("<<'JSON'")  # quoted: bash expands nothing in it
    assert after.startswith("JSON\n")


def test_run_autograder_writes_the_fallback_as_json_in_place_of_the_placeholder() -> None:
    filled = scripts.run_autograder()
    fallback = json.dumps(scripts.FALLBACK).encode()
    assert filled == package_file("run_autograder").replace(
        scripts.FALLBACK_PLACEHOLDER.encode(), fallback
    )
    assert scripts.FALLBACK_PLACEHOLDER.encode() not in filled
    line = filled.split(b"<<'JSON'\n")[1].split(b"\nJSON\n")[0]
    assert json.loads(line) == scripts.FALLBACK
    assert scripts.FAILED_MESSAGE in str(scripts.FALLBACK["output"])


def test_the_zip_carries_the_packages_scripts(echo_assignment: Assignment, tmp_path: Path) -> None:
    wheel = tmp_path / "grader-0-py3-none-any.whl"
    wheel.write_bytes(b"a wheel's bytes")
    zipped = build(echo_assignment, out=tmp_path / "autograder.zip", wheel=wheel)
    with zipfile.ZipFile(zipped) as z:
        assert z.read("setup.sh") == package_file("setup.sh")
        assert z.read("run_autograder") == scripts.run_autograder()
        assert z.read(wheel.name) == wheel.read_bytes()
        for name in SCRIPTS:
            assert z.getinfo(name).external_attr >> 16 == 0o100755


def test_grader_env_quotes_every_value_for_the_shell(tmp_path: Path) -> None:
    env = scripts.grader_env(
        assignment_dir="assignment/it's here",
        wheel="grader-0.1.0-py3-none-any.whl",
        version="0.1.0",
        user="student",
        time_limit_s=540,
    )
    (tmp_path / "grader.env").write_text(env)
    shown = subprocess.run(
        ["bash", "-c", '. ./grader.env && printf "%s\\n" "$GRADER_ASSIGNMENT_DIR"'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert shown.stdout == "assignment/it's here\n"
