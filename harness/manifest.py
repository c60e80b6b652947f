"""``manifest.json``: the record of what ``ipsec-harness generate`` wrote and what was sent.

The manifest holds the inputs (schema version, tool version and commit, the scenario JSON, the
stream specs JSON, the DUT profile) and, per tester-facing port, the tx pcap's name, frame
count and a SHA-256 of its frames. It deliberately holds **no expectations**: ``verify``
rebuilds the sent packets from the scenario and streams (the builder is deterministic: every
random choice is seeded by the stream spec) and recomputes the expected transform of every
packet, so the scenario and streams are the one source of truth. The hashes only prove that
the rebuild equals the pcaps that were replayed: a pcap edited after generation, or a manifest
read by a tool version that builds different bytes, is caught instead of judged.

The frame hash covers the frames only (each as a 4-byte big-endian length and its bytes), not
the pcap headers or timestamps, so re-stamping a pcap (``editcap -t``) keeps it valid.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.scenario.scenario import Scenario
from harness.stream.spec import StreamSpec
from harness.verify.profiles import PROFILES

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file and the field."""


def frames_sha256(frames: Iterable[bytes]) -> str:
    """Hex SHA-256 over ``len(frame)`` (4 bytes, big-endian) ‖ frame, for every frame in order."""
    h = hashlib.sha256()
    for frame in frames:
        h.update(len(frame).to_bytes(4, "big"))
        h.update(frame)
    return h.hexdigest()


@dataclass(frozen=True)
class TxPcap:
    """One port's transmit file: ``pcap`` is a name relative to the manifest's directory."""

    port: int
    pcap: str
    frames: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"port": self.port, "pcap": self.pcap, "frames": self.frames, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    scenario: Scenario
    streams: tuple[StreamSpec, ...]
    profile: str
    tx: tuple[TxPcap, ...]
    tool_version: str
    tool_commit: str = ""
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ManifestError(f"profile {self.profile!r} is not one of {', '.join(PROFILES)}")

    def tx_for(self, port: int) -> TxPcap | None:
        return next((t for t in self.tx if t.port == port), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version, "tool": {"version": self.tool_version, "commit": self.tool_commit},
            "profile": self.profile, "scenario": self.scenario.to_dict(),
            "streams": [s.to_dict() for s in self.streams], "tx": [t.to_dict() for t in self.tx],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Any, source: str = MANIFEST_NAME) -> Manifest:
        """Parse ``data``; every error is a ``ManifestError`` naming ``source`` and the field."""
        if not isinstance(data, dict):
            raise ManifestError(f"{source}: not a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ManifestError(f"{source}: schema_version {version!r}, this tool reads {SCHEMA_VERSION}")
        try:
            scenario = Scenario.from_dict(data["scenario"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"{source}: scenario: {exc}") from None
        streams = []
        for i, item in enumerate(data.get("streams") or []):
            try:
                streams.append(StreamSpec.from_dict(item))
            except (KeyError, TypeError, ValueError) as exc:
                raise ManifestError(f"{source}: streams[{i}]: {exc}") from None
        tx = []
        for i, item in enumerate(data.get("tx") or []):
            try:
                tx.append(TxPcap(int(item["port"]), str(item["pcap"]), int(item["frames"]), str(item["sha256"])))
            except (KeyError, TypeError, ValueError) as exc:
                raise ManifestError(f"{source}: tx[{i}]: missing or bad field {exc}") from None
        tool = data.get("tool") or {}
        try:
            return cls(scenario, tuple(streams), str(data.get("profile", "")), tuple(tx),
                       str(tool.get("version", "")), str(tool.get("commit", "")), version)
        except ManifestError as exc:
            raise ManifestError(f"{source}: {exc}") from None

    @classmethod
    def from_json(cls, text: str, source: str = MANIFEST_NAME) -> Manifest:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
        return cls.from_dict(data, source)


def write_manifest(directory: str | Path, manifest: Manifest) -> Path:
    path = Path(directory) / MANIFEST_NAME
    path.write_text(manifest.to_json())
    return path


def read_manifest(directory: str | Path) -> Manifest:
    """The manifest of a generated directory; ``ManifestError`` when the directory or file is
    missing or unreadable."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ManifestError(f"{directory}: no such directory (run `ipsec-harness generate --out {directory}` first)")
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{path}: missing; {directory} was not written by `ipsec-harness generate`")
    return Manifest.from_json(path.read_text(), str(path))
