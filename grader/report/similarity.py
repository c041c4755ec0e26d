"""Pairwise similarity of a class's code, with the template's own code left out.

Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003; the method behind MOSS) over
normalized Python tokens: every name that is not a keyword, a builtin or an attribute
becomes `V`, every string `S` and every number `N`, and comments and blank lines
disappear, so renaming variables, rewording strings or reformatting changes nothing.
Each run of K tokens is hashed; in every window of W consecutive hashes the smallest is
kept, so any shared run of at least K + W - 1 tokens is found. Hashes that occur in the
template the students started from, or in most of the class, say nothing about a pair
and are dropped.

A pair's similarity is the share of fingerprints they have in common (Jaccard). It is a
pointer for a teacher to look at two submissions side by side, never a finding: small
assignments built from one template converge on similar code.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import itertools
import keyword
import re
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.model import GradeResult, SourceFile

K = 12  # tokens per hashed run: shorter runs are too common to mean anything
W = 8  # window: a shared run of K + W - 1 = 19 tokens is always detected
THRESHOLD = 0.5  # pairs at or above this similarity are listed
MIN_FINGERPRINTS = 8  # less original code than this is too little to compare
COMMON_SHARE = 0.5  # fingerprints in more than this share of the class are ignored...
COMMON_MIN = 4  # ...once they are in at least this many submissions
BUILTINS = frozenset(dir(builtins))
_FALLBACK = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|'[^'\n]*'|\"[^\"\n]*\"|\S")


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalized
    file: int  # index into the submission's files
    line: int  # 1-based line in that file


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """One submission's winnowed hashes, each with the lines it covers."""

    student: str
    files: tuple[SourceFile, ...]
    where: dict[int, tuple[tuple[int, int, int], ...]]  # hash -> (file, first line, last line)

    def hashes(self) -> set[int]:
        return set(self.where)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two submissions and how much of their own code they share."""

    a: str
    b: str
    similarity: float  # shared fingerprints / all fingerprints of the two
    a_share: float  # of a's fingerprints, the share also in b
    b_share: float
    a_lines: tuple[tuple[int, ...], ...]  # per file of a: the lines it shares with b
    b_lines: tuple[tuple[int, ...], ...]


def tokens(text: str, *, file: int = 0) -> list[Token]:
    """Normalized tokens of Python source; unparseable text is split by a simple rule."""
    try:
        raw = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [
            Token(_normal_word(m.group()), file, text.count("\n", 0, m.start()) + 1)
            for m in _FALLBACK.finditer(text)
            if not m.group().startswith("#")
        ]
    out: list[Token] = []
    previous = ""
    for tok in raw:
        kind, string = tok.type, tok.string
        if kind in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
            continue
        if kind == tokenize.NAME:
            keep = keyword.iskeyword(string) or string in BUILTINS or previous == "."
            norm = string if keep else "V"
        elif kind == tokenize.STRING:
            norm = "S"
        elif kind == tokenize.NUMBER:
            norm = "N"
        elif kind == tokenize.NEWLINE:
            norm = ";"
        elif kind == tokenize.INDENT:
            norm = "{"
        elif kind == tokenize.DEDENT:
            norm = "}"
        else:
            norm = string
        out.append(Token(norm, file, tok.start[0]))
        previous = string
    return out


def _normal_word(word: str) -> str:
    if word[0] in "'\"":
        return "S"
    if word[0].isdigit():
        return "N"
    if word[0].isalpha() or word[0] == "_":
        return word if keyword.iskeyword(word) or word in BUILTINS else "V"
    return word


def fingerprints(student: str, *, files: tuple[SourceFile, ...]) -> Fingerprints:
    """Winnow the hashed K-token runs of each file (windows never span two files)."""
    where: dict[int, list[tuple[int, int, int]]] = {}
    for index, source in enumerate(files):
        toks = tokens(source.text, file=index)
        grams = [
            (_hash(toks[i : i + K]), toks[i].line, toks[i + K - 1].line)
            for i in range(len(toks) - K + 1)
        ]
        for h, first, last in _winnow(grams):
            where.setdefault(h, []).append((index, first, last))
    return Fingerprints(student, files, {h: tuple(v) for h, v in where.items()})


def _hash(run: list[Token]) -> int:
    digest = hashlib.blake2b("\x1f".join(t.text for t in run).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big")


def _winnow(grams: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The smallest hash of every window of W (the rightmost on ties), each kept once."""
    if len(grams) <= W:
        return [min(grams, key=lambda g: g[0])] if grams else []
    chosen: list[tuple[int, int, int]] = []
    last = -1
    for start in range(len(grams) - W + 1):
        window = range(start, start + W)
        pick = min(window, key=lambda i: (grams[i][0], -i))
        if pick != last:
            chosen.append(grams[pick])
            last = pick
    return chosen


def template_hashes(template_dir: Path | None) -> set[int]:
    """Fingerprints of the template students start from: their own code excludes these."""
    if template_dir is None or not template_dir.is_dir():
        return set()
    files = tuple(
        SourceFile(
            "template", PurePosixPath(p.name), p.read_text(encoding="utf-8", errors="replace")
        )
        for p in sorted(template_dir.glob("*.py"))
    )
    # The template's code in every K-gram, not only the winnowed ones: a student's
    # windows may select a different hash of the same template run.
    hashes: set[int] = set()
    for index, source in enumerate(files):
        toks = tokens(source.text, file=index)
        hashes.update(_hash(toks[i : i + K]) for i in range(len(toks) - K + 1))
    return hashes


def compare(results: list[GradeResult], *, template: set[int]) -> list[Pair]:
    """Every pair of submissions that shares code of its own, most similar first.

    Only each submission's own code counts: fingerprints of the template and those
    found in most of the class are dropped first, and a submission with too little code
    left (say, the untouched template) is not compared at all.
    """
    prints = [
        fingerprints(r.student, files=r.sources)
        for r in sorted(results, key=lambda r: r.student)
        if r.sources
    ]
    own = {p.student: p.hashes() - template for p in prints}
    counts = Counter(h for hashes in own.values() for h in hashes)
    common = {h for h, n in counts.items() if n >= COMMON_MIN and n > COMMON_SHARE * len(prints)}
    own = {student: hashes - common for student, hashes in own.items()}
    pairs: list[Pair] = []
    for a, b in itertools.combinations(prints, 2):
        mine, theirs = own[a.student], own[b.student]
        if len(mine) < MIN_FINGERPRINTS or len(theirs) < MIN_FINGERPRINTS:
            continue
        shared = mine & theirs
        if not shared:
            continue
        pairs.append(
            Pair(
                a.student,
                b.student,
                round(len(shared) / len(mine | theirs), 3),
                round(len(shared) / len(mine), 3),
                round(len(shared) / len(theirs), 3),
                _lines(a, shared),
                _lines(b, shared),
            )
        )
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def _lines(prints: Fingerprints, shared: set[int]) -> tuple[tuple[int, ...], ...]:
    """Per file: the lines covered by the shared fingerprints."""
    marked: list[set[int]] = [set() for _ in prints.files]
    for h in shared:
        for file, first, last in prints.where.get(h, ()):
            marked[file].update(range(first, last + 1))
    return tuple(tuple(sorted(lines)) for lines in marked)
