"""Every command the READMEs show is one the real command line accepts: each `grade`,
`grade-peer` and `python -m` command in a code block or in backticks is parsed by the
real argparse parser (parse_args, nothing run), each option named alone in backticks
exists, and each script a student is told to run is in the template. Documentation
cannot drift from the code again (`grade-peer serve --shift 3` once did)."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bench.__main__ import parser as bench_parser
from grader import cli
from grader.cli import peer, platforms, template
from grader.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "student_template"
DOCS = (ROOT / "README.md", TEMPLATE / "README.md")
PLACEHOLDER = re.compile(r"<[^<>\n]*>")  # <org>, <you>, <any student's repo URL>
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")"}
NAMES = {"view", "template", "export", "gradescope", "prairielearn"}  # `grade export` alone
# Other programs' options the READMEs name: Docker's, pytest's and bubblewrap's.
FOREIGN_OPTIONS = {"--cap-add", "--rootdir", "--confcutdir", "--die-with-parent", "--new-session"}


@dataclass(frozen=True)
class Shown:
    """A command as a README shows it: where, and its words."""

    where: str
    text: str
    argv: tuple[str, ...]


def snippets(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line, text, whole block?) of every code block and inline code span."""
    source = path.read_text()
    lines = source.splitlines()
    for token in MarkdownIt("commonmark").enable("table").parse(source):
        first, last = token.map or (0, 0)
        if token.type in ("fence", "code_block"):
            yield first + 1 + (token.type == "fence"), token.content, True
        for child in token.children or ():
            if child.type == "code_inline":  # the line it is on, within its paragraph
                start = child.content.split()[0] if child.content.split() else ""
                at = next((n for n in range(first, last) if start in lines[n]), first)
                yield at + 1, child.content, False


def commands(path: Path) -> Iterator[Shown]:
    """Each command of ours in a README, with its arguments (placeholders made words)."""
    for line, text, block in snippets(path):
        logical = re.sub(r"\\\n", " ", text).splitlines() if block else [text]
        for offset, one in enumerate(logical):
            words = _words(PLACEHOLDER.sub("PLACEHOLDER", one))
            for argv in _segments(words):
                yield Shown(f"{path.relative_to(ROOT)}:{line + offset}", one.strip(), argv)


def _words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # a quote left open: Python code, a heredoc, not a command of ours
        return []


def _segments(words: list[str]) -> Iterator[tuple[str, ...]]:
    """The commands of ours in a shell line (after env assignments, sudo, systemd-run...)."""
    segment: list[str] = []
    for word in [*words, ";"]:
        if word not in SEPARATORS:
            segment.append(word)
            continue
        for i, w in enumerate(segment):
            is_python = w in ("python", "python3") and i + 1 < len(segment)
            if w in ("grade", "grade-peer", "make") or is_python:
                yield tuple(x for x in segment[i:] if x != "...")
                break
        segment = []


def check(argv: tuple[str, ...]) -> str | None:
    """Why the real command line would refuse argv (None: it parses)."""
    program, *args = argv
    if program == "grade-peer":
        return _parse(peer._parser(), args)
    if program == "grade":
        return _grade(args)
    if program == "make":
        missing = [a for a in args if a not in make_targets()]
        return f"no target {missing[0]} in the Makefile" if missing else None
    if args[:2] == ["-m", "grader"]:
        return _grade(args[2:])
    if args[:2] == ["-m", "bench"]:
        return _parse(bench_parser(), args[2:])
    if args[:2] == ["-m", "pytest"]:
        rest = args[2:]
        paths = [
            a
            for i, a in enumerate(rest)
            if not a.startswith("-") and (i == 0 or rest[i - 1] not in ("-k", "-m", "-p"))
        ]
        missing = [a for a in paths if not (ROOT / a).exists()]
        return f"no {missing[0]} in the repository" if missing else None
    if not args or args[0].startswith("-"):
        return None  # `python -c CODE` for the student's files, `python -I`: Python's own
    script = args[0] if args else ""
    return None if (TEMPLATE / script).is_file() else f"no {script} in student_template/"


def _grade(args: list[str]) -> str | None:
    if args[:1] == ["view"]:
        takes = len(args) <= 2 and not any(a.startswith("-") for a in args[1:])
        return None if takes else "`grade view` takes one folder"
    if args[:1] == ["template"]:
        return _parse(template._parser(), args[1:])
    parsers = {
        "gradescope": platforms._gradescope_parser,
        "prairielearn": platforms._prairielearn_parser,
        "export": platforms._export_parser,
    }
    if args[:1] and args[0] in parsers:
        return _parse(parsers[args[0]](), args[1:])
    return _parse(cli._parser(), args)


def _parse(parser: argparse.ArgumentParser, args: list[str]) -> str | None:
    """parse_args, nothing run: our parsers raise UsageError, grade-peer's exits 2."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            parser.parse_args(args)
    except (SystemExit, UsageError) as exc:
        return str(exc) if isinstance(exc, UsageError) else said.getvalue().strip()
    return None


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def help_commands() -> Iterator[Shown]:
    """The examples in `grade --help` and in the command modules' docstrings: a command,
    then (after two spaces) what it does; [optional] parts are checked as given."""
    texts = {
        "grade --help": cli.EPILOG,
        "grader/cli/peer.py": peer.__doc__ or "",
        "grader/cli/platforms.py": platforms.__doc__ or "",
    }
    for where, text in texts.items():
        for n, line in enumerate(re.sub(r"\s*\\\n\s*", " ", text).splitlines(), start=1):
            command = re.split(r"\s{2,}", line.strip())[0].replace("[", "").replace("]", "")
            for argv in _segments(_words(command)):
                yield Shown(f"{where}:{n}", command, argv)


def all_options() -> set[str]:
    parsers = [
        cli._parser(),
        peer._parser(),
        template._parser(),
        platforms._gradescope_parser(),
        platforms._prairielearn_parser(),
        platforms._export_parser(),
    ]
    found = set()
    for p in parsers:
        found |= set(p._option_string_actions)
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found |= set(sub._option_string_actions)
    return found


SHOWN = [c for doc in DOCS for c in commands(doc)] + list(help_commands())


def test_the_readmes_show_the_commands_we_expect_to_check() -> None:
    """The extraction finds what is there (so an empty list cannot pass the test below)."""
    texts = [shlex.join(c.argv) for c in SHOWN]
    for expected in (
        "grade .",
        "grade --check-sandbox",
        "grade view grades/",
        "grade-peer send 'sixteen bytes!!!'",
        "python echo_server.py",
        "python tests.py",
        "python -m bench --profile",
    ):
        assert expected in texts, expected
    assert any(t.startswith("grade export moodle") for t in texts)
    assert any(t.startswith("grade-peer serve") for t in texts)
    assert "make demo" in texts and "grade template my_homework" in texts
    assert sum(c.where.startswith("grade --help") for c in SHOWN) >= 8
    assert sum(c.where.startswith("grader/cli/peer.py") for c in SHOWN) >= 7
    assert len(SHOWN) > 50


@pytest.mark.parametrize("shown", SHOWN, ids=lambda c: c.where)
def test_every_command_in_the_readmes_parses(shown: Shown) -> None:
    named = len(shown.argv) == 2 and shown.argv[0] == "grade" and shown.argv[1] in NAMES
    if len(shown.argv) == 1 or named:
        return  # a command named, not run: `grade`, `grade export`
    problem = check(shown.argv)
    assert problem is None, f"{shown.where}: `{shown.text}`: {problem}"


def test_every_option_named_in_the_readmes_exists() -> None:
    options = all_options()
    named = {
        (f"{doc.relative_to(ROOT)}:{line}", text.split()[0].split("=")[0])
        for doc in DOCS
        for line, text, block in snippets(doc)
        if not block and text.startswith("--")
    }
    assert len(named) > 10
    unknown = [f"{where}: {o}" for where, o in sorted(named) if o not in options | FOREIGN_OPTIONS]
    assert not unknown, unknown


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (("grade-peer", "serve", "--shift", "3"), "unrecognized arguments: --shift 3"),
        (("grade", "--roster", "r.csv", "--jobz", "4"), "unrecognized arguments: --jobz"),
        (("grade", "export", "blackboard", "g/", "-o", "x"), "invalid choice: 'blackboard'"),
        (("grade", "view", "a", "b"), "takes one folder"),
        (("python", "echo_srv.py"), "no echo_srv.py"),
        (("make", "tests"), "no target tests"),
        (("python", "-m", "pytest", "tests/unit/nowhere.py"), "no tests/unit/nowhere.py"),
    ],
)
def test_a_drifted_command_is_caught(argv: tuple[str, ...], problem: str) -> None:
    said = check(argv)
    assert said is not None and problem in said


def test_shell_lines_are_split_into_our_commands() -> None:
    line = "cat big.bin | grade-peer send -   # bytes; ECHO_PORT=1 python tests.py && grade ."
    found = [c.argv for c in commands_of(line)]
    assert found == [("grade-peer", "send", "-")]
    line = "ECHO_PORT=12000 python tests.py && systemd-run --user --scope grade ..."
    assert [c.argv for c in commands_of(line)] == [("python", "tests.py"), ("grade",)]


def commands_of(line: str) -> list[Shown]:
    return [Shown("-", line, argv) for argv in _segments(_words(line))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_the_install_instructions_get_pipx_from_apt(doc: Path) -> None:
    """Debian and Ubuntu refuse `pip install --user pipx` (PEP 668): pipx comes from apt."""
    text = doc.read_text()
    assert "sudo apt install pipx" in text
    assert "pipx install 'git+https://github.com/<" in text
    blocks = [t for _, t, block in snippets(doc) if block]  # what a reader copies and runs
    assert not [t for t in blocks if re.search(r"pip3? install (--user )?pipx", t)]
