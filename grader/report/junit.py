"""junit.xml per student, so CI systems can show the checks. Every string passes `safe`
first, which removes each character XML 1.0 forbids (as pytest's bin_xml_escape does):
a student's control characters never make the file unreadable."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from grader.model import Assignment, GradeResult, Outcome
from grader.report.text import advises, safe


def junit_xml(result: GradeResult, *, assignment: Assignment) -> str:
    """One testcase per check (the instructor's view: every check, every message)."""
    suite = ET.Element("testsuite", name=safe(f"{assignment.name}:{result.student}"))
    checks = result.score.checks if result.score else ()
    failures = 0
    for row in checks:
        case = ET.SubElement(suite, "testcase", classname=assignment.name, name=row.check_id)
        found = result.run.get(row.check_id) if result.run else None
        if found is not None:
            case.set("time", f"{found.duration_s:.3f}")
        if row.outcome is Outcome.PASSED or advises(row):  # advice is never a failure
            continue
        failures += 1
        kind = "error" if row.outcome in (Outcome.ERROR, Outcome.NOT_RUN) else "failure"
        message = safe(found.message if found else row.outcome.value)
        node = ET.SubElement(case, kind, message=message)
        node.text = safe(found.trace or found.message) if found else ""
    if not checks:
        case = ET.SubElement(suite, "testcase", classname=assignment.name, name="grading")
        ET.SubElement(case, "error", message=safe(result.problem or result.status.value))
        failures = 1
    suite.set("tests", str(max(1, len(checks))))
    suite.set("failures", str(failures))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
