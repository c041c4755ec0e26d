"""The gradebook's tables are a file of the package (schema.sql, read through
importlib.resources), not SQL kept in a Python string: a new gradebook has exactly its
tables and indexes, and one opened again keeps its rows."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from importlib import resources
from pathlib import Path

from grader.batch.gradebook import FILENAME, SCHEMA, Gradebook


def test_the_schema_is_the_packages_file() -> None:
    text = resources.files("grader.batch").joinpath("schema.sql").read_text(encoding="utf-8")
    assert text == SCHEMA
    statements = [s.strip() for s in text.split(";") if s.strip()]
    assert all("IF NOT EXISTS" in s for s in statements)
    assert sqlite3.complete_statement(text)


def test_a_new_gradebook_has_the_schemas_tables_and_keeps_them_when_opened_again(
    tmp_path: Path,
) -> None:
    declared = set(re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", SCHEMA))
    assert {"runs", "submissions", "checks", "mistakes", "submissions_key"} <= declared
    Gradebook(tmp_path).close()
    with closing(sqlite3.connect(tmp_path / FILENAME)) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        made = {name for (name,) in rows}
        db.execute(
            "INSERT INTO runs (started_at, grader_version, assignment, assignment_digest, "
            "settings) VALUES ('now', 'v', 'a', 'd', '{}')"
        )
        db.commit()
    assert made == declared
    Gradebook(tmp_path).close()
    with closing(sqlite3.connect(tmp_path / FILENAME)) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (1,)
