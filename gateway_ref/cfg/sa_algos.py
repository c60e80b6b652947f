"""``cipher_algo``/``auth_algo``/``aead_algo`` with their keys (secgw-reference.md Tables A-C).

Key byte counts come from ``gateway_ref.proto.algorithms`` (salt/nonce included, as written in
the cfg); a wrong count is an error naming the algorithm and the length it needs.
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway_ref.cfg.cursor import TokenCursor, choose
from gateway_ref.cfg.engine import Engine, unsupported_reason
from gateway_ref.cfg.errors import ConfigError, SourcePos
from gateway_ref.cfg.lexer import Token
from gateway_ref.cfg.values import parse_hex_bytes
from gateway_ref.proto.algorithms import AlgoKind, Algorithm

_KEY_WORD = {AlgoKind.CIPHER: "cipher_key", AlgoKind.AUTH: "auth_key", AlgoKind.AEAD: "aead_key"}
_SALT_NAME = {AlgoKind.CIPHER: "nonce", AlgoKind.AUTH: "salt", AlgoKind.AEAD: "salt"}


@dataclass(frozen=True)
class AlgoChoice:
    """An algorithm keyword with its key, and the token naming it (for its position)."""

    algorithm: Algorithm
    key: bytes
    name: Token

    @property
    def pos(self) -> SourcePos:
        """Where the algorithm name was written (computed only for messages)."""
        return self.name.pos


def parse_algorithm(cursor: TokenCursor, option: Token, table: dict[str, Algorithm],
                    engine: Engine) -> AlgoChoice:
    """Parse ``NAME [KEYWORD KEY]`` after ``option`` (one of the ``*_algo`` words)."""
    name = cursor.require("an algorithm name", option)
    algorithm = table[choose(name, option.text.replace("_algo", " algorithm"), table)]
    reason = unsupported_reason(algorithm, engine)
    if reason is not None:
        raise ConfigError(name.pos, reason)
    if algorithm.key_len == 0:
        return AlgoChoice(algorithm, b"", name)
    key_word = _KEY_WORD[algorithm.kind]
    keyword = cursor.require(f"'{key_word}'", name)
    if keyword.text != key_word:
        raise ConfigError(keyword.pos, f"{algorithm.keyword} needs '{key_word} KEY' after it, "
                                       f"got '{keyword.text}'")
    key_token = cursor.require(f"a {algorithm.key_len}-byte key hh:hh:...", keyword)
    key = parse_hex_bytes(key_token, key_word)
    if len(key) != algorithm.key_len:
        raise ConfigError(key_token.pos, f"{algorithm.keyword} needs a {algorithm.key_len}-byte "
                                         f"{key_word}{_split_text(algorithm)}, got {len(key)}")
    return AlgoChoice(algorithm, key, name)


def _split_text(algorithm: Algorithm) -> str:
    if not algorithm.salt_len:
        return ""
    real = algorithm.key_len - algorithm.salt_len
    return f" ({real}-byte key + {algorithm.salt_len}-byte {_SALT_NAME[algorithm.kind]})"
