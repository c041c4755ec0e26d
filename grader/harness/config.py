"""The contract between the grader and the trusted harness process of one submission.

The grader writes a RunConfig as JSON; the harness reads it and writes one JSON line per
check (`schema` 1). Both sides live in this package so the format is defined once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.sandbox.policy import Policy

SCHEMA = 1
CONFIG_ENV = "GRADER_RUN_CONFIG"


@dataclass(frozen=True, slots=True)
class CheckLimits:
    timeout_s: float
    needs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything the trusted harness needs; paths are on the machine running the harness."""

    staged: str
    files: dict[str, str]  # role -> file name inside the staged folder
    file_problems: dict[str, str]  # role -> why the file cannot run
    python2_roles: list[str]
    checks: dict[str, CheckLimits]
    results_path: str
    policy: Policy
    default_port: int
    client_accepts_port: bool = False
    client_port_literal: int | None = None
    reference_dir: str | None = None
    quiescence_s: float = 0.5
    extra: dict[str, Any] = field(default_factory=dict)
    # The optional tasks: each multi-client server candidate ({"file", "path",
    # "concurrency", "evidence"}) and the port-services function ({"file", "path",
    # "name", "line", "bounds", "defaults"}), as the static look found them.
    multi_servers: list[dict[str, str]] = field(default_factory=list)
    port_function: dict[str, Any] | None = None

    def dump(self, path: Path) -> None:
        data = asdict(self)
        data["policy"] = self.policy.to_json()
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RunConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["policy"] = Policy.from_json(data["policy"])
        data["checks"] = {
            k: CheckLimits(v["timeout_s"], tuple(v["needs"])) for k, v in data["checks"].items()
        }
        return cls(**data)
