-- The gradebook's tables (grader/batch/gradebook.py), made where missing.
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    grader_version TEXT NOT NULL,
    assignment TEXT NOT NULL,
    assignment_digest TEXT NOT NULL,
    settings TEXT NOT NULL,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    identifier TEXT NOT NULL,
    repo TEXT,
    commit_sha TEXT,
    cache_key TEXT,
    status TEXT NOT NULL,
    score REAL,
    max_score REAL,
    duration_s REAL,
    reused INTEGER NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL,
    result TEXT NOT NULL,
    UNIQUE (run_id, identifier)
);
CREATE INDEX IF NOT EXISTS submissions_key ON submissions (identifier, cache_key);
CREATE TABLE IF NOT EXISTS checks (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    check_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    duration_s REAL
);
CREATE TABLE IF NOT EXISTS mistakes (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    code TEXT NOT NULL,
    mistake TEXT NOT NULL,
    students INTEGER NOT NULL,
    checks TEXT NOT NULL,
    points_lost REAL NOT NULL,
    identifiers TEXT NOT NULL,
    example TEXT NOT NULL,
    UNIQUE (run_id, code)
);
