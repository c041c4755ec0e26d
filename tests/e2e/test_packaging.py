"""A plain install works from any folder: the wheel carries the assignments, the reference
and the template (grader/_bundled/), and the installed grader finds them there, grades,
writes the template and serves as a cluster worker (the checkout's side of this is in
tests/unit/test_assignment.py and tests/unit/cli/test_template.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ROOT

from grader import __version__, assignment

BUNDLED = ("assignments", "reference", "student_template")
# Programs that are files of the package, read through importlib.resources.
PACKAGE_DATA = (
    "grader/platforms/gradescope/setup.sh",
    "grader/platforms/gradescope/run_autograder",
    "grader/batch/schema.sql",
)


def tracked(folder: str) -> list[str]:
    """The repository's files under folder (what a wheel must carry)."""
    found = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert found, folder
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from the checkout as pip builds it (isolated, hatchling)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 and "hatchling" in done.stderr and "No matching" in done.stderr:
        pytest.skip("no package index to fetch hatchling from")
    assert done.returncode == 0, done.stderr[-2000:]
    (found,) = out.glob("grader-*.whl")
    return found


def test_the_wheel_carries_the_bundled_folders(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in BUNDLED:
        for path in tracked(folder):
            assert f"grader/_bundled/{path}" in names, path
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for needed in (
        "grader/harness/pytest.ini",
        "grader/report/templates/report.html",
        "grader/inside/runner.py",
        "grader/inside/analyse.py",
        *PACKAGE_DATA,
    ):
        assert needed in names
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed (its dependencies from this interpreter's
    site-packages, so no index is needed): the `bin` folder."""
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env, with_pip=False, system_site_packages=True, symlinks=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install",
         "-q", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    yield env / "bin"


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_the_installed_grader_uses_its_bundled_folders(installed: Path, tmp_path: Path) -> None:
    done = run(
        installed,
        "python",
        "-c",
        "from grader import assignment as a; print(a.ASSIGNMENTS_DIR); "
        "print(a.load().reference_dir)",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    where, reference = done.stdout.split()
    site = installed.parent / "lib"
    assert Path(where).is_relative_to(site) and where.endswith("grader/_bundled/assignments")
    assert Path(reference).is_relative_to(site)


def test_from_any_folder_after_a_plain_install(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(ROOT / "reference", tmp_path / "ref")
    done = run(installed, "grade", str(tmp_path / "ref"), "--json", "--reveal", cwd=elsewhere)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)
    assert data["score"] == data["max_score"] > 0
    assert data["extra_data"]["sandboxed"] in (True, False)
    assert run(installed, "grade", "template", "hw", cwd=elsewhere).returncode == 0
    assert (elsewhere / "hw" / "README.md").is_file()
    peer = run(installed, "grade-peer", "--help", cwd=elsewhere)
    assert peer.returncode == 0 and "send" in peer.stdout


def test_the_second_assignment_works_from_any_folder_too(installed: Path, tmp_path: Path) -> None:
    """http_server keeps its reference, template and web root inside its own folder: all
    of it travels in the wheel."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(ROOT / "assignments" / "http_server" / "reference", tmp_path / "ref")
    done = run(installed, "grade", str(tmp_path / "ref"), "--assignment", "http_server",
               "--json", "--reveal", cwd=elsewhere)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["score"] == 100
    made = run(installed, "grade", "template", "web", "--assignment", "http_server", cwd=elsewhere)
    assert made.returncode == 0, made.stderr
    logo = "webroot/images/logo.png"
    ours = ROOT / "assignments" / "http_server" / "template" / logo
    assert (elsewhere / "web" / logo).read_bytes() == ours.read_bytes()


def test_a_plain_install_builds_the_gradescope_zip_with_its_own_wheel(
    installed: Path, wheel: Path, tmp_path: Path
) -> None:
    """No source tree, no --wheel: the wheel is rebuilt from the installed files, and it
    is the wheel that was installed (same files, same bytes); installed, it grades."""
    done = run(installed, "grade", "gradescope", "-o", "autograder.zip", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / "autograder.zip") as z:
        (inner,) = [n for n in z.namelist() if n.endswith(".whl")]
        assert inner == wheel.name
        (tmp_path / inner).write_bytes(z.read(inner))
        # its scripts are the installed package's files (run_autograder's placeholder filled)
        ours = zipfile.ZipFile(wheel)
        assert z.read("setup.sh") == ours.read("grader/platforms/gradescope/setup.sh")
        filled = z.read("run_autograder").splitlines()
        template = ours.read("grader/platforms/gradescope/run_autograder").splitlines()
        assert [line for line in template if line not in filled] == [b"@FALLBACK@"]
    rebuilt, original = zipfile.ZipFile(tmp_path / inner), zipfile.ZipFile(wheel)
    assert rebuilt.testzip() is None
    names = sorted(n for n in original.namelist() if not n.endswith("/RECORD"))
    assert sorted(n for n in rebuilt.namelist() if not n.endswith("/RECORD")) == names
    for name in names:
        assert rebuilt.read(name) == original.read(name), name
    again = tmp_path / "again"
    venv.create(again, with_pip=False, system_site_packages=True, symlinks=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(again / "bin" / "python"), "install",
         "-q", "--no-deps", str(tmp_path / inner)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    shutil.copytree(ROOT / "reference", tmp_path / "ref")
    graded = run(again / "bin", "grade", str(tmp_path / "ref"), "--json", cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert json.loads(graded.stdout)["score"] > 0


def test_an_installed_cluster_worker_accepts_the_checkouts_batch(
    installed: Path, tmp_path: Path
) -> None:
    """A worker with the wheel installed finds the same assignment (same digest) by name,
    though the submitting machine's folder does not exist there, and can grade."""
    spec = assignment.load()
    code = (
        "import sys; from grader.batch.cluster import worker_problem; "
        "v, d, n, r = sys.argv[1:]; print(worker_problem(v, digest=d, name=n, root=r))"
    )
    done = run(
        installed,
        "python",
        "-c",
        code,
        __version__,
        spec.digest,
        spec.name,
        "/nonexistent/assignments/echo_sockets",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "None", done.stdout


def test_the_installed_gradebook_makes_its_tables_from_the_wheels_schema(
    installed: Path, tmp_path: Path
) -> None:
    code = (
        "import sqlite3, sys; from pathlib import Path; "
        "from grader.batch.gradebook import FILENAME, Gradebook; "
        "Gradebook(Path(sys.argv[1])).close(); "
        "db = sqlite3.connect(Path(sys.argv[1]) / FILENAME); "
        "print(*sorted(n for (n,) in db.execute('SELECT name FROM sqlite_master') "
        "if not n.startswith('sqlite_')))"
    )
    done = run(installed, "python", "-c", code, str(tmp_path / "book"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["checks", "mistakes", "runs", "submissions", "submissions_key"]
