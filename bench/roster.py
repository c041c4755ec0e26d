"""The rosters the bench grades: real git repositories built from the example submissions."""

from __future__ import annotations

from pathlib import Path

from bench.measure import CRASHING_SERVER, EXAMPLES, make_repo

Mix = tuple[tuple[float, str, str], ...]  # (share, example folder, kind)

# The bench's mix, for the 10/40/160 rosters.
MIX: Mix = (
    (0.40, "passes_all_legacy", "correct"),
    (0.35, "client_stops_on_short_chunk", "client_hangs"),
    (0.05, "server_never_listens", "server_broken"),
    (0.05, "server_crashes", "server_broken"),
    (0.10, "slow_but_correct", "slow_correct"),
    (0.05, "missing_client", "missing_files"),
)
# Issue 13's roster of mixed quality: four kinds in equal shares.
MIX_12: Mix = (
    (0.25, "passes_all_legacy", "correct"),
    (0.25, "client_stops_on_short_chunk", "client_hangs_on_16n"),
    (0.25, "server_serves_one_client", "server_serves_once"),
    (0.25, "extra_threaded_server", "threaded_server"),
)


def kinds_for(n: int, *, mix: Mix = MIX) -> list[tuple[str, str]]:
    """The example and kind of each of n repos, in the mix's proportions."""
    out: list[tuple[str, str]] = []
    for share, example, kind in mix:
        out += [(example, kind)] * round(share * n)
    while len(out) < n:
        out.append((mix[0][1], mix[0][2]))
    return out[:n]


def build_roster(folder: Path, *, n: int, mix: Mix = MIX) -> tuple[Path, dict[str, str]]:
    """n git repositories in folder and a roster CSV; returns the roster and id -> kind."""
    lines = ["identifier,repo"]
    kinds: dict[str, str] = {}
    for i, (example, kind) in enumerate(kinds_for(n, mix=mix)):
        ident = f"s{i:04d}"
        if example == "server_crashes":
            repo = make_repo(EXAMPLES / "passes_all_legacy", dest=folder / ident, note=ident)
            (repo / "echo_server.py").write_text(CRASHING_SERVER)
            _commit_all(repo)
        else:
            repo = make_repo(EXAMPLES / example, dest=folder / ident, note=ident)
        lines.append(f"{ident},{repo}")
        kinds[ident] = kind
    roster = folder / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster, kinds


def _commit_all(repo: Path) -> None:
    import git

    actor = git.Actor("Bench", "bench@example.edu")
    handle = git.Repo(repo)
    handle.git.add(A=True)
    handle.index.commit("server", author=actor, committer=actor)


def one_per_kind(kinds: dict[str, str], *, wanted: tuple[str, ...]) -> list[str]:
    """The first repo of each wanted kind (a small naive baseline)."""
    return [
        min(i for i, k in kinds.items() if k == kind) for kind in wanted if kind in kinds.values()
    ]
