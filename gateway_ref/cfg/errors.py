"""Configuration diagnostics: errors and warnings that name file, line and column."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourcePos:
    """Where a token starts: 1-based line and column of the *logical* rule's token in FILE.

    For a rule continued with ``\\`` the line is the physical line the token starts on.
    """

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class ConfigError(Exception):
    """A cfg the gateway refuses. ``str()`` is ``FILE:LINE:COL: error: MESSAGE``."""

    def __init__(self, pos: SourcePos, message: str) -> None:
        super().__init__(f"{pos}: error: {message}")
        self.pos = pos
        self.message = message


@dataclass(frozen=True)
class ConfigWarning:
    """Something secgw accepts silently that we accept too but tell the user about."""

    pos: SourcePos
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: warning: {self.message}"
