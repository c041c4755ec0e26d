"""The gradebook: one SQLite file (WAL) holding every run and every graded submission.

Only the process that runs the batch touches it, from one thread: grading jobs (local
threads or cluster workers) learn which results exist through `known_keys`.

Each submission is written in one transaction as soon as it is graded, so a batch killed
at any moment loses at most the submissions in flight. A result is reusable by a later
run when its cache key (commit, assignment digest, grader version, settings) matches,
and it is complete: a result with a check the grader could not run is recorded (so the
run's outputs list it) but never reused.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from grader import codec
from grader.errors import UsageError
from grader.model import Checkout, GradeResult, Outcome, Status
from grader.report.mistakes import Mistake

FILENAME = "gradebook.sqlite"
# Only final verdicts are reused; a fetch failure or a broken machine is tried again, and
# so is a result with a check the grader could not run (incomplete: `COMPLETE` below).
REUSABLE = (Status.GRADED.value, Status.NOT_GRADABLE.value)
COMPLETE = (
    "NOT EXISTS (SELECT 1 FROM checks WHERE checks.submission_id = submissions.id AND "
    f"checks.outcome = '{Outcome.ERROR.value}')"
)
# The tables: a file of this package, every statement IF NOT EXISTS (a gradebook opened
# again keeps its own).
SCHEMA = resources.files("grader.batch").joinpath("schema.sql").read_text(encoding="utf-8")


def cache_key(checkout: Checkout | None, *, digest: str, version: str, settings: str) -> str | None:
    """The key under which a result may be reused; None when it is not reproducible."""
    if checkout is None or checkout.commit is None or checkout.dirty:
        return None
    material = json.dumps([checkout.commit, digest, version, settings], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:24]


class Gradebook:
    """All writes go through one connection, from one thread (the batch's main thread)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILENAME
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise UsageError(
                f"{self.path} is not a usable gradebook ({exc}); choose another --out folder."
            ) from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def start_run(
        self, *, grader_version: str, assignment: str, digest: str, settings: dict[str, Any]
    ) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (started_at, grader_version, assignment, assignment_digest, "
                "settings) VALUES (?, ?, ?, ?, ?)",
                (_now(), grader_version, assignment, digest, json.dumps(settings, sort_keys=True)),
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, *, outcome: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ? WHERE id = ?",
                (_now(), outcome, run_id),
            )

    def record(
        self, result: GradeResult, *, run_id: int, repo: str | None, key: str | None, reused: bool
    ) -> None:
        """Write one submission and its checks atomically."""
        score = result.score
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR REPLACE INTO submissions (run_id, identifier, repo, commit_sha, "
                "cache_key, status, score, max_score, duration_s, reused, recorded_at, result) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    result.student,
                    repo,
                    result.checkout.commit if result.checkout else None,
                    key,
                    result.status.value,
                    score.points if score else None,
                    score.max_points if score else None,
                    result.duration_s,
                    int(reused),
                    _now(),
                    json.dumps(codec.dump(result)),
                ),
            )
            sid = cur.lastrowid
            for row in score.checks if score else ():
                check = result.run.get(row.check_id) if result.run else None
                db.execute(
                    "INSERT INTO checks (submission_id, check_id, outcome, points, max_points, "
                    "duration_s) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        sid,
                        row.check_id,
                        row.outcome.value,
                        row.points,
                        row.max_points,
                        check.duration_s if check else None,
                    ),
                )

    def record_mistakes(self, found: list[Mistake], *, run_id: int) -> None:
        """The run's common-mistakes table (as on the class page), in one transaction;
        `checks` and `identifiers` are JSON lists."""
        with self._tx() as db:
            db.execute("DELETE FROM mistakes WHERE run_id = ?", (run_id,))
            db.executemany(
                "INSERT INTO mistakes (run_id, code, mistake, students, checks, points_lost, "
                "identifiers, example) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        m.code,
                        m.name,
                        m.count,
                        json.dumps([[title, n] for title, n in m.checks]),
                        m.points_lost,
                        json.dumps(list(m.students)),
                        m.example,
                    )
                    for m in found
                ],
            )

    def known_keys(self) -> dict[str, frozenset[str]]:
        """Per student, the cache keys of final results already in the gradebook."""
        rows = self._db.execute(
            "SELECT identifier, cache_key FROM submissions WHERE cache_key IS NOT NULL AND "
            f"status IN ({', '.join('?' for _ in REUSABLE)}) AND {COMPLETE}",
            REUSABLE,
        )
        keys: dict[str, set[str]] = {}
        for ident, key in rows:
            keys.setdefault(ident, set()).add(key)
        return {ident: frozenset(k) for ident, k in keys.items()}

    def stored(self, identifier: str, *, key: str) -> GradeResult | None:
        """The newest final result of this student under this key."""
        row = self._db.execute(
            "SELECT result FROM submissions WHERE identifier = ? AND cache_key = ? AND "
            f"status IN ({', '.join('?' for _ in REUSABLE)}) AND {COMPLETE} "
            "ORDER BY id DESC LIMIT 1",
            (identifier, key, *REUSABLE),
        ).fetchone()
        if row is None:
            return None
        try:
            stored = codec.load(GradeResult, json.loads(row[0]))
        except ValueError:
            return None  # an unreadable old row is regraded, not trusted
        return None if stored.incomplete else stored


def latest(path: Path) -> list[dict[str, Any]]:
    """The submissions of the newest run, one row per student (for tests and exports)."""
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        run = db.execute("SELECT max(id) FROM runs").fetchone()[0]
        rows = db.execute(
            "SELECT identifier, commit_sha, status, score, max_score, reused FROM submissions "
            "WHERE run_id = ? ORDER BY identifier",
            (run,),
        ).fetchall()
        return [dict(r) for r in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
