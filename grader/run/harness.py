"""Start and supervise the trusted pytest process that runs one submission's checks.

The process gets a pinned configuration (our ini, our rootdir, no plugin autoload,
`python -I`), a private network namespace when the machine allows it, its plan on one
inherited pipe and a second pipe for its answer: no path a student process could open.
If the grader dies, even by SIGKILL, the harness dies with it (`--pdeathsig`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader import codec, trace
from grader.model import Captured
from grader.protocol import CONFIG_FD_ENV, RESULTS_FD_ENV, RunConfig
from grader.run.zygote import ZYGOTE, Forked, Zygote, ZygoteGone
from grader.sandbox import Capabilities, Policy, sweep
from grader.sandbox.capture import OutputCapture
from grader.sandbox.launch import wait_for
from grader.sandbox.policy import SBIN_PATH

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # holds the grader package
INI = Path(__file__).resolve().parent.parent / "harness" / "pytest.ini"
MAX_RESULTS = 64 << 20  # bytes of records one harness may send
# The harness's own address-space cap: what it keeps is bounded by design (capped copies,
# capped outputs); this turns a bug into a failed harness instead of a starved machine.
HARNESS_MEMORY_BYTES = 3 << 30
# Import the grader from where it is installed whether or not that is on sys.path (-I
# drops PYTHONPATH and the user's site, where `pip install --user` puts it); -I also
# keeps the student's environment variables and current folder out of here. A folder
# already on sys.path (site-packages) keeps its place, so it never goes before the
# standard library.
FIND_GRADER = "import sys; root = sys.argv.pop(1); root in sys.path or sys.path.insert(0, root); "
BOOT = FIND_GRADER + "import pytest; sys.exit(pytest.main(sys.argv[1:]))"
# The preflight's harness: everything a harness imports, and a check's own network.
PROBE = FIND_GRADER + (
    "import pytest, pytest_timeout, grader.harness.plugin, grader.harness.fixtures; "
    "from grader.harness.netns import Netns; sys.argv[1:] == ['netns'] and Netns.fresh().close()"
)
PLUGINS = ("pytest_timeout", "grader.harness.plugin", "grader.harness.fixtures")


class Process(Protocol):
    """A harness process: started cold (a Popen) or forked by the zygote (Forked)."""

    pid: int

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class Supervisor:
    """The harnesses now running, so an interrupted batch can kill them all at once."""

    def __init__(self) -> None:
        self._running: set[Process] = set()
        self._lock = threading.Lock()

    def add(self, proc: Process) -> None:
        with self._lock:
            self._running.add(proc)

    def discard(self, proc: Process) -> None:
        with self._lock:
            self._running.discard(proc)

    def kill_all(self) -> None:
        """Kill every harness in flight with its process group (student processes in the
        sandbox die with it); their submissions end as NOT_RUN and are not recorded."""
        with self._lock:
            procs = list(self._running)
        for proc in procs:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)


class Answer:
    """Drain a harness's results pipe in a thread, keeping at most MAX_RESULTS bytes."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._data = bytearray()
        self.overflow = False
        self._thread = threading.Thread(target=self._drain, name="harness-results", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := os.read(self._fd, 1 << 16):
                if len(self._data) + len(chunk) > MAX_RESULTS:
                    self.overflow = True
                    continue  # keep draining so the writer never blocks
                self._data += chunk
        except OSError:
            pass
        finally:
            os.close(self._fd)

    def join(self, timeout_s: float) -> bytes:
        self._thread.join(timeout_s)
        return bytes(self._data)


@dataclass
class HarnessProcess:
    """One trusted pytest process running some of a submission's checks."""

    proc: Process
    output: OutputCapture
    answer: Answer
    config: RunConfig
    supervisor: Supervisor
    timed_out: bool = False
    escaped: tuple[int, ...] = ()
    done: bool = False
    raw: bytes = field(default=b"", repr=False)

    def finish(self, deadline: float) -> None:
        """Wait until it ends or the submission's budget is spent; then clean up after it."""
        if self.done:
            return
        try:
            left = max(0.0, deadline - time.monotonic())
            if _wait(self.proc, timeout_s=left, portable=self.config.policy.portable) is None:
                self.timed_out = True
        finally:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.supervisor.discard(self.proc)
            self.output.join(2.0)
            self.raw = self.answer.join(2.0)
            self.escaped = tuple(sweep(self.config.policy))
            self.done = True


def start(
    config: RunConfig,
    *,
    targets: list[Path],
    checks_dir: Path,
    caps: Capabilities,
    home: Path,
    supervisor: Supervisor,
    zygote: Zygote | None = None,
) -> HarnessProcess:
    """Start a harness on `targets` (check files) with `config` as its plan: forked by
    the warm `zygote` when there is one that serves, else cold."""
    config_r, config_w = os.pipe()
    results_r, results_w = os.pipe()
    env = {
        **_env(home),
        CONFIG_FD_ENV: str(config_r),
        RESULTS_FD_ENV: str(results_w),
        **({trace.ENV: os.environ[trace.ENV]} if trace.enabled() else {}),
    }
    out_r, out_w = os.pipe()
    try:
        proc: Process | None = _forked(
            zygote, _pytest_args(targets, checks_dir), env, home, (config_r, results_w, out_w)
        )
        if proc is None:
            proc = subprocess.Popen(
                _wrap([sys.executable, "-I", "-c", BOOT, str(PACKAGE_ROOT),
                       *_pytest_args(targets, checks_dir)], netns=config.policy.netns,
                      portable=config.policy.portable, caps=caps),
                cwd=home,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                pass_fds=(config_r, results_w),
                start_new_session=True,
            )  # fmt: skip
    finally:
        for fd in (config_r, results_w, out_w):
            os.close(fd)
    supervisor.add(proc)
    trace.record("harness spawned", start=time.monotonic(), seconds=0.0)
    threading.Thread(target=_send, args=(config_w, config), daemon=True).start()
    return HarnessProcess(
        proc, OutputCapture("grader harness", out_r), Answer(results_r), config, supervisor
    )


def _forked(
    zygote: Zygote | None, args: list[str], env: dict[str, str], home: Path,
    fds: tuple[int, int, int],
) -> Forked | None:  # fmt: skip
    """A harness forked by the zygote, or None to start one cold."""
    if zygote is None:
        return None
    fd_env = {"config": CONFIG_FD_ENV, "results": RESULTS_FD_ENV}
    plain = {k: v for k, v in env.items() if k not in fd_env.values()}
    try:
        return zygote.fork(
            args,
            env=plain,
            cwd=home,
            fds=dict(zip(("config", "results", "output"), fds, strict=True)),
            fd_env=fd_env,
        )
    except (OSError, ZygoteGone):
        return None


def _env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(home),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


def _pytest_args(targets: list[Path], checks_dir: Path) -> list[str]:
    """pytest's arguments for a harness: our ini, rootdir and plugins, then the targets."""
    plugins = [arg for name in PLUGINS for arg in ("-p", name)]
    return [
        "-c",
        str(INI),
        "--rootdir",
        str(checks_dir),
        "--confcutdir",
        str(checks_dir),
        *plugins,
        *(str(t) for t in targets),
    ]


def _wrap(argv: list[str], *, netns: bool, portable: bool, caps: Capabilities) -> list[str]:
    """argv in the harness's own network namespace, under its memory cap, dying with
    the grader."""
    if netns:
        argv = [*caps.netns_command, *argv]
    # Linux's tools; not where Linux's facilities are off (macOS, GRADER_PORTABLE=1).
    prlimit = None if portable else shutil.which("prlimit", path=SBIN_PATH)
    if prlimit:
        argv = [prlimit, f"--as={HARNESS_MEMORY_BYTES}", "--", *argv]
    setpriv = None if portable else shutil.which("setpriv", path=SBIN_PATH)
    if setpriv:
        # If the grader itself is killed (even with SIGKILL), the harness dies with it.
        argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
    return argv


def _wait(proc: Process, *, timeout_s: float, portable: bool) -> int | None:
    if isinstance(proc, subprocess.Popen):
        return wait_for(proc, timeout_s=timeout_s, pidfd=not portable)
    try:
        return proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        return None


class Zygotes:
    """The warm harnesses of one runner, one per kind (namespace or not, checks folder),
    started on first use and kept for every later submission of a batch."""

    def __init__(self) -> None:
        self._made: dict[tuple[bool, Path], Zygote | None] = {}
        self._lock = threading.Lock()
        self._homes: list[str] = []

    def get(self, checks_dir: Path, *, netns: bool, caps: Capabilities) -> Zygote | None:
        """The zygote for harnesses of these checks, with network namespaces or not
        (None where forking is off: a portable run, or a zygote that failed)."""
        if caps.portable or not hasattr(os, "fork"):
            return None
        key = (netns, checks_dir)
        with self._lock:
            if key not in self._made:
                self._made[key] = self._start(checks_dir, netns=netns, caps=caps)
            found = self._made[key]
        return found if found is not None and found.alive else None

    def _start(self, checks_dir: Path, *, netns: bool, caps: Capabilities) -> Zygote | None:
        home = tempfile.mkdtemp(prefix="grader-zygote-")
        self._homes.append(home)
        argv = _wrap(
            [sys.executable, "-I", "-c", ZYGOTE, str(PACKAGE_ROOT)],
            netns=netns,
            portable=caps.portable,
            caps=caps,
        )
        made: list[Zygote | None] = []
        started = threading.Event()
        # setpriv's death signal follows the thread that started the zygote: one that
        # lives as long as the zygote (a worker thread of a batch may end first).
        warm = _pytest_args([checks_dir], checks_dir)
        keeper = threading.Thread(
            target=_keep,
            args=(made, started, argv, _env(Path(home)), warm),
            daemon=True,
            name="zygote",
        )
        keeper.start()
        started.wait()
        return made[0]

    def close(self) -> None:
        with self._lock:
            for zygote in self._made.values():
                if zygote is not None:
                    zygote.close()
            self._made.clear()
            for home in self._homes:
                shutil.rmtree(home, ignore_errors=True)
            self._homes.clear()


def _keep(
    made: list[Zygote | None],
    started: threading.Event,
    argv: list[str],
    env: dict[str, str],
    warm: list[str],
) -> None:
    zygote = None
    try:
        zygote = Zygote(argv, env=env, warm=warm)
    except OSError:
        pass
    finally:
        made.append(zygote)  # None: no zygote, harnesses start cold
        started.set()
    if zygote is not None:
        zygote.proc.wait()


def start_probe(policy: Policy, *, caps: Capabilities) -> subprocess.Popen[str]:
    """Start a harness that only imports what a harness needs (and, with namespaces, in
    its namespace, makes a check's network): the preflight's look at the trusted side."""
    argv = [sys.executable, "-I", "-c", PROBE, str(PACKAGE_ROOT)]
    if policy.netns:
        argv = [*caps.netns_command, *argv, "netns"]
    return subprocess.Popen(
        argv,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def probe_result(proc: subprocess.Popen[str], *, timeout_s: float) -> str:
    """'' if the probe harness worked, else the last thing it said."""
    try:
        _, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"it did not start within {timeout_s:g} s"
    if proc.returncode == 0:
        return ""
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def _send(fd: int, config: RunConfig) -> None:
    with contextlib.suppress(OSError), os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(codec.dump(config), f)


def merged_output(harnesses: list[HarnessProcess]) -> Captured:
    parts = [h.output.snapshot() for h in harnesses]
    return Captured(
        name="grader harness",
        head="\n".join(p.head for p in parts),
        tail="\n".join(p.tail for p in parts),
        total_bytes=sum(p.total_bytes for p in parts),
        cut_bytes=sum(p.cut_bytes for p in parts),
    )
