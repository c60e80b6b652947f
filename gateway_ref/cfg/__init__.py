"""The ipsec-secgw cfg language -> frozen records (``Config``).

``lexer`` (comments, continuation, positions) is separate from the per-rule grammars (``sp``,
``sa`` + ``sa_algos``, ``rt``, ``neigh``, ``flow``); ``crosscheck`` runs secgw's start-up checks;
``parser`` ties them together. ``sp_canonical``/``sa_canonical`` read rules in the canonical
(harness-written) form with one regex match and defer everything else to the general
grammars; ``gcpause`` pauses the cyclic GC while a large cfg loads. Deviations from secgw are
listed in each module's docstring and in docs/cfg-language.md.

May import: the standard library, ``gateway_ref.proto.algorithms``. Nothing else.
"""
from gateway_ref.cfg.engine import Engine
from gateway_ref.cfg.errors import ConfigError, ConfigWarning, SourcePos
from gateway_ref.cfg.parser import load_cfg, parse_cfg
from gateway_ref.cfg.records import Config

__all__ = ["Config", "ConfigError", "ConfigWarning", "Engine", "SourcePos", "load_cfg", "parse_cfg"]
