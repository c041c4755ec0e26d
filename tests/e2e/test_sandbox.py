"""Hostile submissions, graded through the real pipeline and the real sandbox.

Each hostile example (tests/examples/hostile_*) is built as a real git repository and
graded in the same batch as a correct submission (two gradings at once, as a batch run
does). For every pair: the grader finishes within its budget, the correct neighbour still
scores 100%, no student process survives, nothing outside the submission's scratch space
changed, and the hostile one gets a clear verdict without gaining points.

Skipped where this machine cannot sandbox (no bubblewrap or namespaces); CI installs
bubblewrap so these run there.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, ROOT, make_repo

import grader.run.policy
from grader import assignment as assignment_mod
from grader import cli
from grader.model import Assignment, GradeResult, Hang, Outcome, Status
from grader.pipeline import grade
from grader.sandbox import Policy, probe
from grader.sandbox import policy_for as real_policy_for
from grader.sandbox.capabilities import CGROUP_V1
from grader.settings import Settings

pytestmark = pytest.mark.skipif(
    not probe().sandbox, reason="this machine cannot sandbox (bubblewrap or namespaces missing)"
)

CORRECT = "passes_all_legacy"
BUDGET_S = 60.0
FILE_LIMIT = 16 << 20
MARKER = re.compile(rb"(?:^|\0)GRADER_JOB=([^\0]*)")

# Hostile acts that cannot change whether the echo is right: these serve correctly
# afterwards, so full marks are a fair verdict for them (what they tried is checked below).
HARMLESS_TO_VERDICT = {
    "hostile_shadows_socket",
    "hostile_output_flood",
    "hostile_daemon",
    "hostile_kills_parent",
    "hostile_large_file",
    "hostile_disk_fill",
    "hostile_snoop",
    "hostile_network",
    "hostile_cpu_hog",
}


# ---------------------------------------------------------------- building and grading


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Size and digest of every file under root, git metadata excepted."""
    seen: dict[str, tuple[int, str]] = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts or not path.is_file():
            continue
        data = path.read_bytes()
        seen[str(path.relative_to(root))] = (len(data), hashlib.sha256(data).hexdigest())
    return seen


def live_jobs() -> dict[int, str]:
    """pid -> GRADER_JOB value of every process that carries the student marker."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"GRADER_JOB=" in env:
            match = MARKER.search(env)
            found[int(entry.name)] = match.group(1).decode() if match else "?"
    return found


def survivors(jobs: set[str], wait_s: float = 1.0) -> dict[int, str]:
    """Processes of these jobs still alive after up to wait_s (killed ones need a moment).

    Only the jobs graded here count: other gradings may run on the same machine.
    """
    deadline = time.monotonic() + wait_s
    while True:
        # a submission's harness groups mark their processes <job id>g<n>
        left = {pid: job for pid, job in live_jobs().items() if re.sub(r"g\d+$", "", job) in jobs}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def marked(needle: bytes, wait_s: float = 1.0) -> list[int]:
    """Processes whose command line holds needle, after up to wait_s."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if needle in (entry / "cmdline").read_bytes():
                        found.append(int(entry.name))
                except OSError:
                    continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def describe(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        cmd = "?"
    return f"{pid}: {cmd[:200]}"


@dataclass
class Batch:
    """One batch of two: a hostile submission and a correct one, graded at once."""

    name: str
    hostile: GradeResult
    correct: GradeResult
    jobs: dict[str, list[str]] = field(default_factory=dict)
    before: dict[str, tuple[int, str]] = field(default_factory=dict)
    wall_s: float = 0.0
    harness_peak_kib: int = 0  # the largest peak RSS (VmHWM) seen of a harness process


class HarnessPeak:
    """Watch the trusted harness processes while a pair is graded and keep the largest
    peak RSS any of them reached (student processes, which may be huge by design, are
    not harnesses and do not count)."""

    def __init__(self) -> None:
        self.kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="harness-peak")
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    self.kib = max(self.kib, _harness_hwm(entry))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(2.0)
        return self.kib


def _harness_hwm(proc: Path) -> int:
    try:
        if b"grader.harness.plugin" not in (proc / "cmdline").read_bytes():
            return 0
        for line in (proc / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@pytest.fixture(scope="module")
def echo() -> Assignment:
    return assignment_mod.load()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Repositories live in tmp_path/repos; the grader's scratch goes to tmp_path/scratch,
    so whatever a submission leaves behind (a big file, say) would show up under tmp_path."""
    (tmp_path / "repos").mkdir()
    (tmp_path / "scratch").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    yield tmp_path


@pytest.fixture
def grade_pair(
    workspace: Path,
    echo: Assignment,
    monkeypatch: pytest.MonkeyPatch,
    gradings: dict[str, GradeResult],
) -> Callable[[str], Batch]:
    """grade_pair(name) grades the hostile example and the correct one side by side; the
    hostile grading joins the session's (the verdict table reads it, never grades again)."""
    label = threading.local()
    jobs: dict[str, list[str]] = {}

    def recording_policy_for(*args: Any, **kwargs: Any) -> Policy:
        policy = real_policy_for(*args, **kwargs)
        jobs.setdefault(getattr(label, "name", "?"), []).append(policy.job_id)
        return policy

    monkeypatch.setattr(grader.run.policy, "policy_for", recording_policy_for)

    def run(name: str) -> Batch:
        repos = workspace / "repos"
        hostile = make_repo(repos / name, EXAMPLES / name)
        correct = make_repo(repos / CORRECT, EXAMPLES / CORRECT)
        before = snapshot(repos)

        def one(which: str, repo: Path) -> GradeResult:
            label.name = which
            return grade(str(repo), assignment=echo, settings=Settings(reveal=True))

        start = time.monotonic()
        peak = HarnessPeak()
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(one, "hostile", hostile), pool.submit(one, "correct", correct)]
            hostile_result, correct_result = (f.result(timeout=180) for f in futures)
        wall = time.monotonic() - start
        gradings.setdefault(name, hostile_result)
        return Batch(name, hostile_result, correct_result, jobs, before, wall, peak.stop())

    return run


# ---------------------------------------------------------------- reading results


def outputs(result: GradeResult, stream: str) -> str:
    """Everything kept of one student stream (e.g. 'your server stderr') over all checks."""
    assert result.run is not None
    parts: list[str] = []
    for check in result.run.checks:
        for out in check.outputs:
            if out.name == stream:
                parts.append(out.head + out.tail)
    return "\n".join(parts)


def all_text(result: GradeResult) -> str:
    assert result.run is not None
    harness = result.run.harness_output
    texts = [harness.head, harness.tail] if harness is not None else []
    for check in result.run.checks:
        texts.append(check.message)
        texts.extend(out.head + out.tail for out in check.outputs)
    return "\n".join(texts)


def by_id(result: GradeResult) -> dict[str, Outcome]:
    assert result.run is not None
    return {c.check_id: c.outcome for c in result.run.checks}


def verdicts(result: GradeResult) -> str:
    assert result.run is not None
    return "\n".join(
        f"  {c.check_id}: {c.outcome.value} {c.message[:150]}" for c in result.run.checks
    )


def server_checks(result: GradeResult) -> dict[str, Outcome]:
    return {k: v for k, v in by_id(result).items() if k.startswith("server_")}


def client_checks(result: GradeResult) -> dict[str, Outcome]:
    return {k: v for k, v in by_id(result).items() if k.startswith("client_")}


def not_passed(checks: dict[str, Outcome]) -> list[str]:
    return [k for k, v in checks.items() if v is not Outcome.PASSED]


# ---------------------------------------------------------------- per-case verdicts


def server_never_serves(batch: Batch, tmp: Path) -> None:
    """The server is hostile instead of serving: every server and pairing check fails,
    while the correct client of the same submission is unharmed by what the server did."""
    res = batch.hostile
    servers = server_checks(res)
    assert servers and not [k for k, v in servers.items() if v is Outcome.PASSED], verdicts(res)
    assert by_id(res)["pair_short_message"] is not Outcome.PASSED
    graded_client = {k: v for k, v in client_checks(res).items() if k != "client_non_ascii_split"}
    assert not not_passed(graded_client), (
        "the hostile server's leftovers harmed its own (correct) client:\n" + verdicts(res)
    )


def check_fork_bomb(batch: Batch, tmp: Path) -> None:
    server_never_serves(batch, tmp)


def check_memory_bomb(batch: Batch, tmp: Path) -> None:
    server_never_serves(batch, tmp)
    said = outputs(batch.hostile, "your server stdout") + outputs(
        batch.hostile, "your server stderr"
    )
    held = [int(n) for n in re.findall(r"holding (\d+) MB", said)]
    assert held, said[-500:]
    assert max(held) <= 1100, f"the memory bomb got to {max(held)} MB"


def check_sleeps_forever(batch: Batch, tmp: Path) -> None:
    server_never_serves(batch, tmp)
    assert "did not start listening" in verdicts(batch.hostile)


def check_output_flood(batch: Batch, tmp: Path) -> None:
    res = batch.hostile
    assert res.run is not None
    seen = [o for c in res.run.checks for o in c.outputs if o.name.startswith("your server")]
    assert {o.name for o in seen} >= {"your server stdout", "your server stderr"}
    for out in seen:
        assert len(out.head.encode()) <= 8192 + 16 and len(out.tail.encode()) <= 8192 + 16
    flooded = max(seen, key=lambda o: o.total_bytes)
    assert flooded.total_bytes > 1 << 20 and flooded.cut_bytes > 0, flooded.total_bytes


def check_daemon(batch: Batch, tmp: Path) -> None:
    # That the daemon did not outlive the job is checked for every case (survivors).
    assert batch.hostile.status is Status.GRADED


def check_kills_parent(batch: Batch, tmp: Path) -> None:
    said = outputs(batch.hostile, "your server stderr")
    assert "KILL parent" in said and "KILL everything" in said, said[:500]
    # It ran without root (uid 65534, or as root without a pids cgroup a uid of its job's
    # own), in a PID namespace of its own (else it refuses kill(-1)).
    uids = {int(n) for n in re.findall(r"KILL running as uid (\d+), pid", said)}
    assert uids and 0 not in uids and os.getuid() not in uids, said[:500]
    assert "NOT SENT" not in said, said[:500]
    assert batch.hostile.status is Status.GRADED


def check_large_file(batch: Batch, tmp: Path) -> None:
    said = outputs(batch.hostile, "your server stderr")
    stopped = [int(n) for n in re.findall(r"BIGFILE stopped at (\d+) bytes: errno 27", said)]
    assert stopped, f"the file-size limit did not stop the 1 GB file: {said[:500]}"
    assert max(stopped) <= FILE_LIMIT
    assert "NOT STOPPED" not in said
    big = [
        (str(p), p.stat().st_size)
        for p in tmp.rglob("*")
        if p.is_file() and not p.is_symlink() and p.stat().st_size > FILE_LIMIT
    ]
    assert not big, f"large files remain: {big}"


def check_snoop(batch: Batch, tmp: Path) -> None:
    said = outputs(batch.hostile, "your server stderr")
    for path in (
        "/work/main/reference/echo_server.py",
        "/work/main/assignments/echo_sockets/assignment.toml",
        "/root/.bashrc",
        "/etc/shadow",
    ):
        assert f"SNOOP read {path}: FAILED" in said, f"{path}:\n{said[:2000]}"
        assert f"SNOOP read {path}: OK" not in said
    assert "SNOOP write /tmp/../../work/main/PWNED: FAILED" in said, said[:2000]
    listing = re.search(r"SNOOP list /: OK (\[.*\])", said)
    if listing:
        assert "'work'" not in listing.group(1), listing.group(1)
    home = re.search(r"SNOOP list /home: OK (\[.*\])", said)
    if home:
        assert home.group(1) == "['student']", home.group(1)


def check_network(batch: Batch, tmp: Path) -> None:
    said = outputs(batch.hostile, "your server stderr")
    seen = re.search(r"NET if_nameindex: (\[.*\])", said)
    assert seen, said[:1000]
    assert re.findall(r"'([^']*)'", seen.group(1)) == ["lo"], seen.group(1)
    assert "NET connect 1.1.1.1:53: FAILED" in said, said[:1000]


def check_disk_fill(batch: Batch, tmp: Path) -> None:
    said = outputs(batch.hostile, "your server stderr")
    seen = re.search(r"DISKFILL stopped at (\d+) bytes: errno (\d+)", said)
    assert seen, said[:1000]
    assert int(seen.group(1)) <= 64 << 20 and int(seen.group(2)) == errno.ENOSPC, seen.group(0)


SHORT_CHUNK_BUG = ("client_exactly_16_bytes", "client_exactly_32_bytes", "client_empty_message")


def check_hijack(batch: Batch, tmp: Path) -> None:
    res = batch.hostile
    got = by_id(res)
    for cid in SHORT_CHUNK_BUG:
        assert got[cid] is not Outcome.PASSED, f"{cid} passed:\n{verdicts(res)}"
    assert server_checks(res) and not not_passed(server_checks(res)), verdicts(res)
    assert "HIJACK" not in all_text(res), "a hijacking file of the student ran"


def check_fake_results(batch: Batch, tmp: Path) -> None:
    res = batch.hostile
    got = by_id(res)
    for cid in (
        "client_short_message",
        "client_long_message",
        "client_exactly_16_bytes",
        "client_returns_what_server_sent",
        "pair_short_message",
        "pair_long_message",
    ):
        assert got[cid] is not Outcome.PASSED, f"{cid} passed:\n{verdicts(res)}"
    assert server_checks(res) and not not_passed(server_checks(res)), verdicts(res)
    # It did write its fake results, inside the sandbox only (the host side is checked
    # for every case); none of them counted.
    said = outputs(res, "your client stderr")
    assert "FAKE wrote /home/student/submission/results.json" in said, said[:1000]
    assert "FAKE wrote /tmp/results.jsonl" in said, said[:1000]


def check_busy_loop(batch: Batch, tmp: Path) -> None:
    res = batch.hostile
    assert res.run is not None
    assert server_checks(res) and not not_passed(server_checks(res)), verdicts(res)
    clients = [c for c in res.run.checks if c.check_id.startswith(("client_", "pair_"))]
    assert clients and all(c.outcome is not Outcome.PASSED for c in clients), verdicts(res)
    # A clear verdict: the client spun on the CPU. Calling it "idle, waiting" (blocked)
    # would send the student hunting for a missing close() that is not the problem.
    wrong = [
        f"{c.check_id}: hang={c.hang} {c.message[:120]}"
        for c in clients
        if c.outcome is Outcome.TIMEOUT and c.hang is not Hang.BUSY
    ]
    assert not wrong, (
        "a client that busy-loops (100% CPU) was reported as idle/blocked; the hang "
        "detector in grader/harness/idle.py (IdleCheck) compares the CPU used "
        "between two polls 20 ms apart with a 0.02 s threshold, which one busy thread can "
        "never exceed, so the second poll always says 'idle':\n" + "\n".join(wrong)
    )


def faked_echo_earns_nothing(batch: Batch, tmp: Path) -> None:
    """A client that fakes the echo fails every check that sends a message, and the pair."""
    res = batch.hostile
    got = by_id(res)
    for cid in (*SENDING_CLIENT_CHECKS, "pair_short_message", "pair_long_message"):
        assert got[cid] is not Outcome.PASSED, f"{cid} passed:\n{verdicts(res)}"
    assert res.score is not None and res.score.points <= 53, verdicts(res)


def check_fake_pair(batch: Batch, tmp: Path) -> None:
    """A server that never echoes and a client that returns its message unread: together
    they pass nothing, since the relay saw what the server really sent."""
    got = by_id(batch.hostile)
    assert got["pair_short_message"] is not Outcome.PASSED, verdicts(batch.hostile)
    assert got["pair_long_message"] is not Outcome.PASSED, verdicts(batch.hostile)
    assert got["client_returns_what_server_sent"] is not Outcome.PASSED
    passed = [k for k, v in server_checks(batch.hostile).items() if v is Outcome.PASSED]
    assert passed == [], passed  # it restarts at once, but echoes nothing there either


def check_shadows_socket(batch: Batch, tmp: Path) -> None:
    """A student's socket.py is graded as their module and never replaces the standard
    library: every process runs, the port function in it is credited, and the flag says so."""
    res = batch.hostile
    assert "SHADOW" not in all_text(res), "the student's socket.py was imported as socket"
    assert res.score is not None and res.score.percent == 100, verdicts(res)
    assert res.score.extra_points == 4, verdicts(res)
    assert any("real standard library" in f.text for f in res.flags)


def check_floods_result_pipe(batch: Batch, tmp: Path) -> None:
    """768 MiB written into the answer pipe: each client check stops within its time limit,
    says what happened, and the harness never holds the flood."""
    res = batch.hostile
    assert res.run is not None
    for check in res.run.checks:
        if check.check_id.startswith("client_") and check.check_id != "client_empty_message":
            assert check.outcome is not Outcome.PASSED, verdicts(res)
            assert check.duration_s < 2 * 2.0 + 1, (check.check_id, check.duration_s)
            assert "private answer pipe" in check.message, check.message
    # Measured on the harnesses themselves: RUSAGE_CHILDREN would also count student
    # processes of earlier tests (the memory bomb's), which the harness reaps.
    peak = batch.harness_peak_kib
    assert 0 < peak < 400 * 1024, f"a harness of the grader grew to {peak} KiB"


def honest_points(example: str) -> float:
    """The most the honest version of a hostile example ever scores (its golden verdict)."""
    golden = json.loads((ROOT / "tests" / "golden" / "verdicts.json").read_text())
    points = golden["examples"][example]["points"]
    return float(max(points["unstable"]) if isinstance(points, dict) else points)


def no_better_than(honest: str) -> Callable[[Batch, Path], None]:
    """A submission that provokes a fault where it would fail scores no more than its
    honest failing version, percentage included, and provokes no grader fault at all."""

    def check(batch: Batch, tmp: Path) -> None:
        res = batch.hostile
        assert res.score is not None and res.run is not None
        assert not res.run.grader_faults, verdicts(res)
        assert not res.incomplete and res.score.max_points == 100, verdicts(res)
        assert res.score.points <= honest_points(honest), verdicts(res)
        assert res.score.percent <= honest_points(honest), verdicts(res)

    return check


def check_deep_answer(batch: Batch, tmp: Path) -> None:
    """JSON nested 200,000 deep on the answer pipe fails the check that got it, saying so."""
    no_better_than("client_stops_on_short_chunk")(batch, tmp)
    said = [c.message for c in batch.hostile.run.checks] if batch.hostile.run else []
    assert any("made the grader's reading fail" in m for m in said), verdicts(batch.hostile)


def check_fake_str(batch: Batch, tmp: Path) -> None:
    """A class of its own named `str` is not a str: the client fails the "returns str"
    checks as a client returning bytes does."""
    no_better_than("client_returns_bytes")(batch, tmp)
    assert "its own class echo_client.str" in verdicts(batch.hostile)


def check_runs_reference(batch: Batch, tmp: Path) -> None:
    """It looked for the grader's reference everywhere (prefixes, site-packages, /proc, a
    walk of /) and found nothing to run: it scores what the template scores (nothing)."""
    said = outputs(batch.hostile, "your server stderr") + outputs(
        batch.hostile, "your client stderr"
    )
    assert "KEY not found" in said and "KEY /" not in said, said[:2000]
    assert batch.hostile.score is not None and batch.hostile.score.points == 0


def check_daemon_holds_port(batch: Batch, tmp: Path) -> None:
    """A daemon with an empty environment took port 10000 after its check: it died with
    its check, so the (correct) client checks met the grader's servers and none of them
    became the grader's fault."""
    got = by_id(batch.hostile)
    assert not [k for k, v in got.items() if v is Outcome.ERROR], verdicts(batch.hostile)
    assert not not_passed(client_checks(batch.hostile)), verdicts(batch.hostile)


def check_cpu_hog(batch: Batch, tmp: Path) -> None:
    """Forty busy processes got at most the job's CPU quota (where a cpu cgroup is
    writable), and the neighbour was unharmed (checked for every case)."""
    said = outputs(batch.hostile, "your client stderr")
    hogs = [
        (float(u), float(w))
        for u, w in re.findall(r"HOG \d+ processes used ([\d.]+) cpu-s in ([\d.]+) s", said)
    ]
    assert hogs, said[:1000]
    if probe().cgroup_cpu:
        cores = Settings().limits.cpu_cores
        worst = max(used / wall for used, wall in hogs)
        assert worst <= cores + 0.25, f"{worst:.2f} cores for one job: {hogs}"


SENDING_CLIENT_CHECKS = tuple(
    c.id
    for c in assignment_mod.load().checks
    if c.id.startswith("client_") and c.id not in ("client_empty_message",)
)


CASES: dict[str, Callable[[Batch, Path], None]] = {
    "hostile_fork_bomb": check_fork_bomb,
    "hostile_memory_bomb": check_memory_bomb,
    "hostile_output_flood": check_output_flood,
    "hostile_sleeps_forever": check_sleeps_forever,
    "hostile_daemon": check_daemon,
    "hostile_kills_parent": check_kills_parent,
    "hostile_large_file": check_large_file,
    "hostile_disk_fill": check_disk_fill,
    "hostile_snoop": check_snoop,
    "hostile_network": check_network,
    "hostile_hijack": check_hijack,
    "hostile_fake_results": check_fake_results,
    "hostile_busy_loop": check_busy_loop,
    "hostile_fake_echo": faked_echo_earns_nothing,
    "hostile_guesses_the_scramble": faked_echo_earns_nothing,
    "hostile_fake_pair": check_fake_pair,
    "hostile_shadows_socket": check_shadows_socket,
    "hostile_floods_result_pipe": check_floods_result_pipe,
    "hostile_renames_client": no_better_than("client_stops_on_short_chunk"),
    "hostile_renames_server": no_better_than("server_drops_last_partial_chunk"),
    "hostile_deep_answer": check_deep_answer,
    "hostile_fake_str": check_fake_str,
    "hostile_runs_reference": check_runs_reference,
    "hostile_daemon_holds_port": check_daemon_holds_port,
    "hostile_cpu_hog": check_cpu_hog,
}


# ---------------------------------------------------------------- the tests


def watched_host_files() -> dict[Path, tuple[int, int] | None]:
    """Places a hostile submission would like to write to on the grading machine."""
    paths = [
        ROOT / "PWNED",
        *(
            Path(d) / n
            for d in ("/tmp", Path.home())
            for n in ("results.json", "results.jsonl", "PWNED")
        ),
    ]
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) if p.exists() else None for p in paths}


def test_check_sandbox_reports_ok() -> None:
    out = io.StringIO()
    assert cli.main(["--check-sandbox"], stdout=out) == 0, out.getvalue()


def test_every_hostile_example_is_covered() -> None:
    shipped = {p.name for p in EXAMPLES.iterdir() if p.name.startswith("hostile_")}
    assert shipped == set(CASES)
    for name in shipped:
        assert (EXAMPLES / name / "echo_server.py").is_file()
        assert (EXAMPLES / name / "echo_client.py").is_file()


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_next_to_correct(
    name: str, grade_pair: Callable[[str], Batch], workspace: Path
) -> None:
    repos = workspace / "repos"
    sentinel = repos / "neighbour-notes.txt"
    sentinel.write_text("a file next to the repositories; nobody may touch it\n")
    host_before = watched_host_files()
    assert not (ROOT / "PWNED").exists()

    batch_ = grade_pair(name)
    hostile, correct = batch_.hostile, batch_.correct

    # The correct neighbour is untouched by whatever ran next to it.
    assert correct.status is Status.GRADED, correct.problem
    assert correct.run is not None and correct.run.sandboxed
    assert correct.score is not None and correct.score.percent == 100, verdicts(correct)

    # The hostile one finished in time, sandboxed, with a verdict.
    assert hostile.status is Status.GRADED, hostile.problem
    assert hostile.run is not None and hostile.run.sandboxed
    assert not hostile.run.timed_out, "the whole submission hit the grader's budget"
    assert hostile.duration_s < BUDGET_S, hostile.duration_s
    assert hostile.score is not None
    if name not in HARMLESS_TO_VERDICT:
        assert hostile.score.percent < 100, verdicts(hostile)

    # No process of either submission survives, and their cgroups are gone.
    ours = {job for jobs in batch_.jobs.values() for job in jobs}
    assert len(batch_.jobs.get("hostile", [])) == 1 and len(batch_.jobs.get("correct", [])) == 1
    left = survivors(ours)
    assert not left, "student processes survived:\n" + "\n".join(describe(p) for p in left)
    unmarked = marked(b"HOSTILE_DAEMON_LIVES")  # it cleared its environment: no job marker
    assert not unmarked, "a daemon survived:\n" + "\n".join(describe(p) for p in unmarked)
    for job in ours:
        for controller in ("pids", "memory"):
            left = list((CGROUP_V1 / controller / "grader").glob(f"{job}*"))
            assert not left, (controller, left)
        left = list((CGROUP_V1 / "cpu").glob(f"grader-{job}*"))
        assert not left, ("cpu", left)

    # Nothing outside the submission's scratch space changed.
    assert not (ROOT / "PWNED").exists(), "a submission wrote into the grader's folder"
    assert sentinel.read_text() == "a file next to the repositories; nobody may touch it\n"
    assert snapshot(repos) == batch_.before, "a submission changed files of a repository"
    assert sorted(p.name for p in repos.iterdir()) == sorted(
        [name, CORRECT, "neighbour-notes.txt"]
    ), "a submission wrote next to its repository"
    assert watched_host_files() == host_before
    scratch_left = list((workspace / "scratch").iterdir())
    assert not scratch_left, f"the grader left scratch files behind: {scratch_left}"

    CASES[name](batch_, workspace)
