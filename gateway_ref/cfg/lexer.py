"""Line lexer for the ipsec-secgw cfg language (secgw-reference.md section 1.1).

Turns cfg text into logical rules: lists of whitespace-separated tokens, each carrying the
``SourcePos`` (file, physical line, column) of its first character.

Rules copied from secgw's ``parser.c`` / ``lib/cmdline``:

* A physical line whose first character is ``#`` is skipped entirely, *before* continuation
  handling, so such a line inside a continued rule is ignored and the rule keeps accumulating.
  Otherwise everything from the first ``#`` to the end of the line is cut off.
* If the comment-stripped line holds a backslash, the first backslash must be followed by
  exactly one character (normally the newline); everything from the backslash on is removed and
  the next physical line is appended with NO separator (tokens may be split across lines).
  Hence ``\\`` at end of file without newline, ``\\`` before ``\\r\\n`` and ``\\#comment`` are
  errors, while ``\\ #comment`` (one character between) works.
* At most 1022 characters per physical line (after the comment is cut, line terminator
  excluded) and per logical rule.
* Whitespace is exactly C's ``isspace`` set: space, ``\\f \\n \\r \\t \\v``; so CRLF files parse
  (CR is whitespace) except where a CR follows a continuation backslash.
* After the rule keyword at most 32 tokens ("too many arguments").

Deliberate deviations: a continuation pending at end of file is an error (secgw silently drops
the unfinished rule); a NUL character is an error (C would silently cut the line there).
"""
from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from gateway_ref.cfg.errors import ConfigError, SourcePos

MAX_LINE_CHARS = 1022
MAX_TOKENS = 32  # after the rule keyword
_TOKEN_RE = re.compile(r"[^ \f\n\r\t\v]+")
_SPECIAL = re.compile(r"[#\\\0]")  # characters a line needs the slow path for


class _Segment(NamedTuple):
    """A run of logical-line characters that came from one physical line, from column 1."""

    start: int  # offset in the logical line
    line: int


class _Lines(NamedTuple):
    """Where the characters of one logical rule came from: offset -> (file, line, column).

    (NamedTuples here and for ``Token``: immutable records that are cheap to build, one per
    rule or word of a 10 000-tunnel cfg.)
    """

    file: str
    segments: tuple[_Segment, ...]

    def pos_at(self, offset: int) -> SourcePos:
        """Source position of the character at ``offset`` in the logical text."""
        seg = self.segments[0]
        for candidate in self.segments:
            if candidate.start > offset:
                break
            seg = candidate
        return SourcePos(self.file, seg.line, offset - seg.start + 1)


@dataclass(frozen=True)
class LogicalRule:
    """One rule after comment removal and continuation joining.

    ``words`` are the whitespace-separated words; ``tokens`` (the words with their offsets
    and positions) are built on first use, so a rule that a grammar reads straight from
    ``text`` (``sp_canonical``) never pays for them.
    """

    text: str
    lines: _Lines
    words: tuple[str, ...]

    @functools.cached_property
    def tokens(self) -> tuple[Token, ...]:
        """The words with their offsets in ``text``."""
        text, lines = self.text, self.lines
        tokens = []
        at = 0
        for word in self.words:  # each word is the first occurrence after the previous one
            at = text.index(word, at)
            tokens.append(Token(word, at, lines))
            at += len(word)
        return tuple(tokens)

    def pos_at(self, offset: int) -> SourcePos:
        """Source position of the character at ``offset`` in the logical text."""
        return self.lines.pos_at(offset)

    @property
    def pos(self) -> SourcePos:
        """Position of the rule keyword."""
        return self.tokens[0].pos


class Token(NamedTuple):
    """A whitespace-separated word of a logical rule (an immutable record).

    ``pos`` is computed when asked for: most tokens never need one (only rule keywords, SPIs
    and tokens named in errors or warnings do), and building one per token dominated the load
    time of large cfgs (a NamedTuple is also about twice as cheap to build as a frozen
    dataclass). A token refers to its rule's ``_Lines``, not to the rule, so rules and tokens
    form no reference cycle and are freed without the cyclic GC.
    """

    text: str
    start: int  # offset in the logical rule text
    lines: _Lines

    @property
    def pos(self) -> SourcePos:
        """Source position of the token's first character."""
        return self.lines.pos_at(self.start)

    def pos_at(self, index: int) -> SourcePos:
        """Position of the ``index``-th character of this token (tokens may span lines)."""
        return self.lines.pos_at(self.start + index)


def lex(text: str, source: str = "<cfg>") -> Iterator[LogicalRule]:
    """Yield the logical rules of ``text`` with positioned tokens; raise ``ConfigError``."""
    pending: list[tuple[int, str]] = []  # (physical line number, kept text) of a continued rule
    lines = text.split("\n")
    last = len(lines) - 1
    for index, raw in enumerate(lines):
        line_no = index + 1
        has_newline = index < last
        if index == last and raw == "":
            break
        if raw.startswith("#"):
            continue
        if not pending and len(raw) <= MAX_LINE_CHARS and not _SPECIAL.search(raw):
            # The common line (no comment, continuation or NUL, not inside a continued rule)
            # passes every check below unchanged: skip them.
            rule = _build_rule([(line_no, raw)], source)
            if rule is not None:
                yield rule
            continue
        kept = raw.split("#", 1)[0]
        _check_physical(kept, source, line_no)
        physical = kept + ("\n" if has_newline and "#" not in raw else "")
        backslash = physical.find("\\")
        if backslash >= 0:
            if backslash != len(physical) - 2:
                raise ConfigError(
                    SourcePos(source, line_no, backslash + 1),
                    _after_backslash_message(physical, backslash),
                )
            pending.append((line_no, physical[:backslash]))
            _check_logical(pending, source, line_no)
            continue
        pending.append((line_no, kept))
        _check_logical(pending, source, line_no)
        rule = _build_rule(pending, source)
        pending = []
        if rule is not None:
            yield rule
    if pending:
        first_line = pending[0][0]
        raise ConfigError(
            SourcePos(source, pending[-1][0], len(pending[-1][1]) + 1),
            f"rule started on line {first_line} ends with '\\' but the file has no next line",
        )


def _check_physical(kept: str, source: str, line_no: int) -> None:
    if len(kept) > MAX_LINE_CHARS:
        raise ConfigError(
            SourcePos(source, line_no, MAX_LINE_CHARS + 1),
            f"the line has {len(kept)} characters; the parser handles at most {MAX_LINE_CHARS}",
        )
    nul = kept.find("\0")
    if nul >= 0:
        raise ConfigError(SourcePos(source, line_no, nul + 1), "NUL character in the cfg text")


def _check_logical(pending: list[tuple[int, str]], source: str, line_no: int) -> None:
    total = sum(len(part) for _, part in pending)
    if total > MAX_LINE_CHARS:
        raise ConfigError(
            SourcePos(source, line_no, 1),
            f"rule joined with '\\' is {total} characters long; at most {MAX_LINE_CHARS} allowed",
        )


def _after_backslash_message(physical: str, backslash: int) -> str:
    rest = physical[backslash + 1:]
    if rest.startswith("\r"):
        return ("no character should exist after '\\' (this line ends in CR LF: a continued "
                "rule needs UNIX line endings)")
    if rest == "":
        return "no character should exist after '\\' (a '\\' needs a newline right after it)"
    return f"no character should exist after '\\' (found {rest.rstrip(chr(10))!r})"


def _build_rule(pending: list[tuple[int, str]], source: str) -> LogicalRule | None:
    if len(pending) == 1:
        text = pending[0][1]
        segments: tuple[_Segment, ...] = (_Segment(0, pending[0][0]),)
    else:
        starts = itertools.accumulate((len(part) for _, part in pending[:-1]), initial=0)
        segments = tuple(_Segment(start, line_no) for start, (line_no, _) in zip(starts, pending))
        text = "".join(part for _, part in pending)
    words = tuple(_TOKEN_RE.findall(text))
    if not words:
        return None
    rule = LogicalRule(text, _Lines(source, segments), words)
    if len(words) - 1 > MAX_TOKENS:
        raise ConfigError(
            rule.tokens[MAX_TOKENS + 1].pos,
            f"too many arguments: a rule takes at most {MAX_TOKENS} words after "
            f"'{words[0]}', this one has {len(words) - 1}",
        )
    return rule
