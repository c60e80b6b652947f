"""manifest.json: frame hashing, JSON round trip of a generated directory's manifest, and
errors that name the file and field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.io.pcap import read_pcap
from harness.manifest import (
    MANIFEST_NAME,
    SCHEMA_VERSION,
    Manifest,
    ManifestError,
    frames_sha256,
    read_manifest,
)
from harness.scenario.presets import build_preset
from harness.traffic_dir import choose_streams, generate


def test_frames_hash_sees_boundaries_and_order() -> None:
    base = frames_sha256([b"ab", b"c"])
    assert base != frames_sha256([b"a", b"bc"])  # same bytes, other framing
    assert base != frames_sha256([b"c", b"ab"])
    assert base == frames_sha256(iter([b"ab", b"c"]))
    assert frames_sha256([]) != frames_sha256([b""])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    scenario = build_preset("tun66-aes256cbc-sha256-esn-w64")
    out = tmp_path_factory.mktemp("gen")
    return out, generate(scenario, choose_streams(scenario, None, 4, 200), out)


def test_manifest_round_trips_and_matches_the_pcaps(generated: tuple[Path, Manifest]) -> None:
    out, manifest = generated
    back = read_manifest(out)
    assert back == manifest
    assert back.schema_version == SCHEMA_VERSION and back.profile == "secgw-library"
    assert back.scenario.to_dict() == build_preset("tun66-aes256cbc-sha256-esn-w64").to_dict()
    for tx in back.tx:
        frames = [f for _, f in read_pcap(out / tx.pcap)]
        assert len(frames) == tx.frames
        assert frames_sha256(frames) == tx.sha256
    assert sum(t.frames for t in back.tx) == sum(s.count for s in back.streams)


def test_manifest_holds_no_expectations(generated: tuple[Path, Manifest]) -> None:
    """One source of truth: the manifest carries inputs and hashes, verify recomputes the rest."""
    data = json.loads((generated[0] / MANIFEST_NAME).read_text())
    assert set(data) == {"schema_version", "tool", "profile", "scenario", "streams", "tx"}


def _mutated(manifest: Manifest, **changes: object) -> str:
    data = manifest.to_dict()
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(("changes", "needle"), [
    ({"schema_version": 99}, "schema_version 99"),
    ({"profile": "strictest"}, "profile 'strictest'"),
    ({"tx": [{"port": 0}]}, "tx[0]"),
    ({"streams": [{"stream_id": 1}]}, "streams[0]"),
])
def test_bad_fields_are_named(generated: tuple[Path, Manifest], changes: dict, needle: str) -> None:
    with pytest.raises(ManifestError, match=r"m\.json") as info:
        Manifest.from_json(_mutated(generated[1], **changes), "m.json")
    assert needle in str(info.value)


def test_bad_scenario_field_is_named(generated: tuple[Path, Manifest]) -> None:
    data = generated[1].to_dict()
    data["scenario"]["ports"][0]["role"] = "sideways"
    with pytest.raises(ManifestError, match=r"scenario: .*ports\[0\]\.role"):
        Manifest.from_dict(data, "m.json")


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(ManifestError, match=r"^m\.json:2:1: not valid JSON"):
        Manifest.from_json('{"schema_version": 1,\n}', "m.json")


def test_missing_directory_and_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no such directory"):
        read_manifest(tmp_path / "absent")
    with pytest.raises(ManifestError, match="manifest.json: missing"):
        read_manifest(tmp_path)
