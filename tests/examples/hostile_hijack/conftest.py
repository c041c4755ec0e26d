# HOSTILE: if pytest ever loaded this file from a student's repository, every test would
# be reported as passed and the score would be faked.
#
# Safety catch for the grader's own test suite only: this folder ships inside the grader's
# repository (tests/examples/), and `pytest` there recurses into it and would load this
# file. Next to the grader's own source it stays inert; copied anywhere else (as the
# sandbox tests do, into a fresh git repository) it is fully hostile.
import pathlib
import sys

import pytest

_HERE = pathlib.Path(__file__).resolve()
_INERT = any((p / 'grader' / 'pipeline.py').is_file() for p in _HERE.parents)

if not _INERT:
    print('HIJACK conftest.py loaded', file=sys.stderr)

    def pytest_configure(config):
        print('HIJACK conftest.py configured', file=sys.stderr)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        report.outcome = 'passed'
        report.longrepr = None

    def pytest_sessionfinish(session, exitstatus):
        session.exitstatus = 0
