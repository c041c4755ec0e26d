"""Build hook: wheels carry the top-level assignments/, reference/ and student_template/
inside the package (grader/_bundled/, the same layout, so the relative paths in
assignment.toml still hold). Editable installs do not: they read the checkout itself."""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLED = ("assignments", "reference", "student_template")


class BundleHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "standard":
            for folder in BUNDLED:
                build_data["force_include"][folder] = f"grader/_bundled/{folder}"
