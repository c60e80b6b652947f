"""A cursor over one rule's tokens with the error messages every grammar shares.

secgw's equivalents: ``INCREMENT_TOKEN_INDEX`` ("at least one more argument is needed"),
``APP_CHECK_PRESENCE`` ("item already present") and the per-grammar "unrecognized input".
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from gateway_ref.cfg.errors import ConfigError, SourcePos
from gateway_ref.cfg.lexer import Token


class TokenCursor:
    """Walks the tokens that follow a rule keyword; remembers which options were seen."""

    def __init__(self, keyword: Token, tokens: Sequence[Token]) -> None:
        self.keyword = keyword
        self._tokens = iter(tokens)
        self._seen: dict[str, Token] = {}  # positions are computed only when needed

    def next(self) -> Token | None:
        """The next token, or None at the end of the rule."""
        return next(self._tokens, None)

    def require(self, expected: str, after: Token | None = None) -> Token:
        """The next token; a missing one is an error saying what was expected."""
        token = self.next()
        if token is None:
            where = after if after is not None else self.keyword
            what = f"after '{after.text}'" if after is not None else f"in '{self.keyword.text}' rule"
            raise ConfigError(where.pos, f"missing argument {what}: expected {expected}")
        return token

    def once(self, token: Token, name: str | None = None) -> None:
        """Record option ``name`` (default: the token text); a second occurrence is an error."""
        key = token.text if name is None else name
        first = self._seen.get(key)
        if first is not None:
            raise ConfigError(token.pos, f"item already present: '{key}' was given at {first.pos}")
        self._seen[key] = token

    def seen(self, name: str) -> SourcePos | None:
        """Where option ``name`` was recorded, if it was."""
        first = self._seen.get(name)
        return None if first is None else first.pos


def choose(token: Token, what: str, allowed: Iterable[str]) -> str:
    """``token.text`` when it is one of ``allowed`` (case-sensitive), else an error listing them."""
    options = list(allowed)
    if token.text in options:
        return token.text
    raise ConfigError(token.pos, unknown_message(token, what, options))


def unknown_message(token: Token, what: str, allowed: Iterable[str]) -> str:
    """"unrecognized X 'tok'; expected one of: a, b, c" (with a case hint when it applies)."""
    options = list(allowed)
    hint = ""
    if token.text.lower() in options and token.text not in options:
        hint = f" (keywords are case-sensitive: write '{token.text.lower()}')"
    return f"unrecognized {what} '{token.text}'{hint}; expected one of: {', '.join(options)}"
