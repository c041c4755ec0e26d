"""The processes the bench times: the `grade` command as users run it, a batch, the naive way.

Every grader run is a child process (`python -m grader ...`) started from a folder of its
own, with this checkout first on PYTHONPATH so the grader measured is the one beside the
bench; its wall time is taken around the child, its CPU from RUSAGE_CHILDREN.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "examples"
CRASHING_SERVER = "import sys\nraise SystemExit('server crashed: ' + sys.argv[0])\n"


@dataclass(frozen=True, slots=True)
class Timed:
    """One child process: its exit code, wall and CPU time, and the monotonic bracket."""

    code: int
    launched: float
    ended: float
    cpu_s: float
    stderr: str

    @property
    def wall_s(self) -> float:
        return self.ended - self.launched


def child_env(*, trace: Path | None = None, root: Path = ROOT) -> dict[str, str]:
    """This environment with the grader of `root` first (this checkout's, or the
    baseline's); tracing on only when asked."""
    env = {k: v for k, v in os.environ.items() if k != "GRADER_TRACE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    if trace is not None:
        env["GRADER_TRACE"] = str(trace)
    return env


def timed(argv: list[str], *, cwd: Path, env: dict[str, str]) -> Timed:
    """Run argv to its end; CPU is user+sys of it and every child it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    launched = time.monotonic()
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    ended = time.monotonic()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(done.returncode, launched, ended, cpu, done.stderr)


def make_repo(example: Path, *, dest: Path, note: str = "") -> Path:
    """A real git repository holding a copy of an example, committed as a student would."""
    import git

    shutil.copytree(example, dest)
    if note:
        (dest / "README.md").write_text(note + "\n")  # every repo distinct
    actor = git.Actor("Bench", "bench@example.edu")
    repo = git.Repo.init(dest, initial_branch="main")
    repo.git.add(A=True)
    repo.index.commit("homework", author=actor, committer=actor)
    return dest


def grade_command(
    submission: Path, *, out: Path, trace: Path | None = None, root: Path = ROOT
) -> Timed:
    """`python -m grader <submission> --out <out>`, run from the folder above `out`."""
    argv = [sys.executable, "-m", "grader", str(submission), "--out", str(out)]
    return timed(argv, cwd=out.parent, env=child_env(trace=trace, root=root))


def graded_in_full(out: Path) -> dict[str, Any]:
    """What the grade said of the submission in `out`: score, max and sandboxing."""
    found = sorted(out.glob("*/results.json"))
    if not found:
        return {"score": None, "max_score": None, "sandboxed": None}
    data = json.loads(found[0].read_text())
    extra = data.get("extra_data", {})
    return {
        "score": data.get("score"),
        "max_score": data.get("max_score"),
        "sandboxed": extra.get("sandboxed"),
        "isolation": extra.get("isolation"),
    }


_BATCH = (
    "import json, resource, sys; from grader.cli import main; code = main(sys.argv[1:]); "
    "print(json.dumps({'code': code, "
    "'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), file=sys.stderr)"
)


def run_batch(
    roster: Path, *, out: Path, jobs: int | None = None, root: Path = ROOT
) -> dict[str, Any]:
    """Grade a roster as a batch (the CLI's main, in a child): wall, CPU, the grader's own
    peak RSS (its children's are not counted) and its exit code."""
    argv = [sys.executable, "-c", _BATCH, "--roster", str(roster), "--out", str(out)]
    if jobs:
        argv += ["--jobs", str(jobs)]
    run = timed(argv, cwd=roster.parent, env=child_env(root=root))
    lines = run.stderr.strip().splitlines()
    try:
        last = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        last = {"code": run.code, "peak_rss_kb": None, "error": run.stderr[-2000:]}
    rss = last["peak_rss_kb"]
    return {
        "code": last["code"],
        "wall_s": round(run.wall_s, 3),
        "cpu_s": round(run.cpu_s, 3),
        "peak_rss_mb": round(rss / 1024, 1) if rss else None,
        **({"error": last["error"]} if "error" in last else {}),
    }


def naive_baseline(folder: Path, *, idents: list[str], work: Path) -> dict[str, Any]:
    """The course's own way, one repo after another: start the server, sleep 3 s, run the
    template's tests.py (10 s limit), kill the server."""
    tests_py = ROOT / "student_template" / "tests.py"
    start = time.monotonic()
    for ident in idents:
        repo = work / f"naive-{ident}"
        shutil.copytree(folder / ident, repo)
        shutil.copy(tests_py, repo / "tests.py")
        server = repo / "echo_server.py"
        proc = None
        if server.exists():
            proc = subprocess.Popen(
                [sys.executable, str(server)],
                cwd=repo,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        time.sleep(3)  # the fixed sleep this baseline is measured for
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                [sys.executable, "tests.py"], cwd=repo, timeout=10, capture_output=True, check=False
            )
        if proc is not None:
            os.killpg(proc.pid, 9)
            proc.wait()
    return {"repos": len(idents), "wall_s": round(time.monotonic() - start, 3)}


def hang_tax(out: Path, *, check_ids: list[str]) -> dict[str, Any]:
    """Extra wall time of a hung check over the same check when it passes (gradebook)."""
    if not (out / "gradebook.sqlite").exists():
        return {"hung_checks_seen": 0, "median_extra_s": None, "max_extra_s": None}
    with contextlib.closing(sqlite3.connect(out / "gradebook.sqlite")) as db:
        rows = db.execute("SELECT check_id, outcome, duration_s FROM checks").fetchall()
    passed: dict[str, list[float]] = {}
    hung: dict[str, list[float]] = {}
    for check_id, outcome, dur in rows:
        if dur is None or check_id not in check_ids:
            continue
        if outcome in ("passed", "timeout"):
            (passed if outcome == "passed" else hung).setdefault(check_id, []).append(dur)
    extra = [statistics.median(hung[c]) - statistics.median(passed[c]) for c in hung if c in passed]
    return {
        "hung_checks_seen": sum(len(v) for v in hung.values()),
        "median_extra_s": round(statistics.median(extra), 3) if extra else None,
        "max_extra_s": round(max(extra), 3) if extra else None,
    }


def baseline(rev: str, *, dest: Path) -> Path | None:
    """The grader as it was at `rev` (files of that commit, from this checkout's git),
    to measure before and after in the same run on the same machine; None without git
    history here (an sdist, say)."""
    dest.mkdir(parents=True)
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", rev],
            capture_output=True,
            check=True,
            timeout=60,
        )
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return dest


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def _timed_start(start: Any, *, samples: int) -> dict[str, float | None]:
    """Median wall and CPU (this process's children, reaped) of `start()`, which starts
    a process and waits for it."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(samples):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.monotonic()
        start()
        walls.append(time.monotonic() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(statistics.median(walls), 4),
        "cpu_s": round(statistics.median(cpus), 4),
    }


def start_costs(*, samples: int = 15) -> dict[str, dict[str, float | None]]:
    """What one student process start costs, layer by layer (medians): the interpreter
    bare, with the `import socket` every program makes, under the launcher unsandboxed
    (prlimit), in the sandbox (cgroups, bubblewrap, setpriv, prlimit), a network
    namespace, and a warm process told what to run (what a check waits for). CPU is what
    rusage sees of the children: a sandboxed process's own is not passed up through
    bubblewrap's PID namespace, so it is left out there (None)."""
    from grader.harness.netns import Netns
    from grader.model import Isolation
    from grader.run import capabilities
    from grader.sandbox import Launcher, policy_for
    from grader.sandbox.warm import WarmPool

    caps = capabilities()
    bare = [sys.executable, "-I", "-S", "-c"]
    found = {
        "interpreter (-I -S), bare": _timed_start(
            lambda: subprocess.run([*bare, "pass"], check=False), samples=samples
        ),
        "... with `import socket`": _timed_start(
            lambda: subprocess.run([*bare, "import socket"], check=False), samples=samples
        ),
    }
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        (tmp / "hello.py").write_text("print('hello', flush=True)\n")
        for sandboxed in (False, True):
            policy = policy_for(caps, sandbox=sandboxed, python=sys.executable)
            launcher = Launcher(policy, tmp)
            stack.callback(launcher.close)
            bwrap = policy.isolation is Isolation.BWRAP
            if sandboxed and not bwrap:
                continue
            name = "launcher in the sandbox" if bwrap else "launcher, unsandboxed (prlimit)"
            found[name] = _timed_start(
                lambda launcher=launcher: launcher.spawn(["hello.py"], name="probe").wait(10),
                samples=samples,
            )
            if bwrap:
                found[name]["cpu_s"] = None
        if caps.sandbox and os.geteuid() == 0:
            found["network namespace (fresh, lo up)"] = _timed_start(
                lambda: Netns.fresh().close(), samples=samples
            )
            pool = WarmPool(launcher)

            def warm_run() -> None:
                pool.start()
                time.sleep(0.1)  # started ahead: not part of what a check waits for
                warm = pool.take()
                assert warm is not None
                t = time.monotonic()
                proc = warm.go(["hello.py"], name="probe")
                os.close(warm.stdin_w)
                proc.wait(10)
                waited.append(time.monotonic() - t)

            waited: list[float] = []
            for _ in range(samples):
                warm_run()
            found["warm process: told what to run, to its end"] = {
                "wall_s": round(statistics.median(waited), 4),
                "cpu_s": None,
            }
    return found
