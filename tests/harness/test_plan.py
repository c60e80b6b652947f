"""Nightly plan parsing: the example plan loads; every error names the file and the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.measure.rates import IMIX_SIMPLE
from harness.measure.sweep import CryptoDirection
from harness.plan import DutKind, PlanError, load_plan, parse_plan
from harness.scenario import SaType

ROOT = Path(__file__).resolve().parents[2]
SRC = Path("/plans/p.toml")
LIVE = '[dut]\nkind = "reference-live"\n'


def test_example_plan_loads():
    plan = load_plan(ROOT / "examples" / "nightly-plan.toml")
    assert plan.dut is DutKind.REFERENCE
    assert [s.name for s in plan.suites] == ["conformance", "negative"]
    assert all(Path(p).is_absolute() and Path(p).exists() for s in plan.suites for p in s.paths)
    assert plan.perf is not None and IMIX_SIMPLE in plan.perf.frame_sizes
    assert SaType.NO_OFFLOAD in plan.perf.placements and SaType.INLINE_CRYPTO in plan.perf.placements
    assert plan.baseline.spec == "median:5" and plan.baseline.per_metric_pct["latency_p99_ns"] == 400
    assert plan.results_dir == (ROOT / "results" / "nightly").resolve()


def test_minimal_plan_defaults():
    plan = parse_plan('[perf]\nframe_sizes = [64, "imix"]\ndirections = ["decrypt"]\n', SRC)
    assert plan.name == "p" and plan.suites == () and plan.baseline.spec is None
    assert plan.perf.frame_sizes == (64, IMIX_SIMPLE) and plan.perf.directions == (CryptoDirection.DECRYPT,)
    assert plan.results_dir == Path("/plans/results/p")


@pytest.mark.parametrize("text, where", [
    ('[perf]\nframe_sizes = [64, "huge"]\n', "perf.frame_sizes[1]"),
    ('[perf]\nframe_sizes = [32]\n', "perf.frame_sizes[0]"),
    ('[perf]\nplacements = ["qat"]\n', "perf.placements[0]"),
    ('[perf]\nframe_size = [64]\n', "perf: unknown key(s) ['frame_size']"),
    ('[perf]\ntrial_duration_s = "1s"\n', "perf.trial_duration_s"),
    ('[perf]\ntunnels = [20000]\n', "perf: tunnels [20000]"),
    ('[perf]\nalgorithms = ["aes999gcm"]\n', "perf: preset"),
    ('[perf.search]\nmax_load_pps = 1000\n', "perf.search.min_load_pps"),
    ('[perf.replay]\nwindows = [0]\n', "perf.replay.windows[0]"),
    (f'{LIVE}[perf.back_to_back]\nmax_frames = 1000\n', "perf.back_to_back.min_frames: is required"),
    (f'{LIVE}[perf.back_to_back]\nmin_frames = 100\nmax_frames = 10\n', "perf.back_to_back: BurstParams"),
    (f'{LIVE}[perf.back_to_back]\nmin_frames = 1\nmax_frames = 300000\n', "perf.back_to_back: max_frames must be"),
    (f'{LIVE}[perf.back_to_back]\nmin_frames = 1\nmax_frames = 9\nrepetitions = 0\n',
     "perf.back_to_back.repetitions"),
    (f'{LIVE}[perf.back_to_back]\nmin_frames = 1\nmax_frames = 9\nmax_total_time_s = 0\n',
     "perf.back_to_back: max_total_time_s must be > 0"),
    (f'{LIVE}[perf.back_to_back]\nmin_frames = 1\nmax_frames = 9\nmax_trials = "8"\n',
     "perf.back_to_back.max_trials"),
    (f'{LIVE}[perf.back_to_back]\nmin_frames = 1\nmax_frames = 9\nprecision = 3\n',
     "perf.back_to_back: unknown key(s) ['precision']"),
    ('[perf.back_to_back]\nmin_frames = 1\nmax_frames = 9\n', "perf.back_to_back: back-to-back bursts need a wire"),
    ('[dut]\nkind = "qemu"\n', "dut.kind"),
    ('[dut]\nkind = "external"\n', "dut.lab"),
    ('[[suite]]\nname = "x"\n', "suite[0].paths"),
    ('[[suite]]\npaths = ["t"]\n', "suite[0].name"),
    ('[[suite]]\nname = "x"\npaths = ["t"]\ntimeout_s = -1\n', "suite[0].timeout_s"),
    ('[baseline]\ntolerance_pct = true\n', "baseline.tolerance_pct"),
    ('[baseline.tolerance]\npdr_pps = "5"\n', "baseline.tolerance.pdr_pps"),
    ('[plann]\nname = "x"\n', "(top level): unknown key(s) ['plann']"),
    ('[perf\n', "not valid TOML"),
])
def test_errors_name_file_and_key(text, where):
    with pytest.raises(PlanError) as err:
        parse_plan(text, SRC)
    message = str(err.value)
    assert message.startswith(f"{SRC}: "), message
    assert where in message, message


def test_missing_file_is_a_plan_error(tmp_path):
    with pytest.raises(PlanError, match="cannot read"):
        load_plan(tmp_path / "nope.toml")


def test_scale_and_live_example_plans_load():
    scale = load_plan(ROOT / "examples" / "scale-plan.toml")
    assert scale.dut is DutKind.REFERENCE and scale.perf is not None
    assert scale.perf.tunnels == (1, 10, 100, 1000, 10000)
    assert [p.tunnels for p in scale.perf.points()] == [1, 1, 10, 10, 100, 100, 1000, 1000, 10000, 10000]
    live = load_plan(ROOT / "examples" / "live-plan.toml")
    assert live.dut is DutKind.REFERENCE_LIVE and live.perf is not None and live.perf.search is not None
    assert live.perf.search.max_trials == 12 and live.perf.max_frames == 200_000
    assert live.back_to_back is not None and live.back_to_back.repetitions >= 1
    assert live.back_to_back.params.min_frames < live.back_to_back.params.max_frames
    assert scale.back_to_back is None


def test_back_to_back_table():
    plan = parse_plan(f'{LIVE}[perf.back_to_back]\nmin_frames = 50\nmax_frames = 900\nprecision_frames = 10\n'
                      'max_trials = 6\nrepetitions = 3\nmax_total_time_s = 12.5\n', SRC)
    b2b = plan.back_to_back
    assert (b2b.params.min_frames, b2b.params.max_frames, b2b.params.precision_frames, b2b.params.max_trials) == (
        50, 900, 10, 6)
    assert (b2b.repetitions, b2b.max_total_time_s) == (3, 12.5)
    external = parse_plan('[dut]\nkind = "external"\nlab = "lab.toml"\n[perf.back_to_back]\nmin_frames = 1\n'
                          'max_frames = 2\n', SRC)
    assert external.back_to_back.params.max_frames == 2 and external.back_to_back.repetitions == 2
