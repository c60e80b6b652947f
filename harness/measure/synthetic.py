"""A synthetic DUT with a known capacity: the offline ``Measurer`` for tests and demos.

Forwarded packets = min(offered, capacity x duration), optionally minus a random noise loss;
delays grow with load like an M/M/1 queue (base / (1 - load/capacity), capped at 99 %
utilisation) with exponential spread; a buffer of ``buffer_frames`` absorbs back-to-back
bursts. All randomness comes from the injected ``random.Random``.
"""
from __future__ import annotations

import math
import random

from harness.measure.latency import histogram, summarize
from harness.measure.trial import TrialResult


class SyntheticDut:
    def __init__(
        self,
        capacity_pps: float,
        rng: random.Random,
        base_latency_ns: int = 5_000,
        noise_probability: float = 0.0,
        noise_max_ratio: float = 0.0,
        buffer_frames: int = 512,
        cpu_ns_per_packet: float | None = None,
        latency_samples: int = 1_000,
    ) -> None:
        if capacity_pps <= 0:
            raise ValueError(f"capacity_pps must be > 0, got {capacity_pps}")
        self.capacity_pps = capacity_pps
        self.rng = rng
        self.base_latency_ns = base_latency_ns
        self.noise_probability = noise_probability
        self.noise_max_ratio = noise_max_ratio
        self.buffer_frames = buffer_frames
        self.cpu_ns_per_packet = cpu_ns_per_packet
        self.latency_samples = latency_samples

    def _noise_loss(self, offered: int) -> int:
        if self.noise_probability and self.rng.random() < self.noise_probability:
            return self.rng.randint(1, max(1, int(offered * self.noise_max_ratio)))
        return 0

    def _delays(self, load_pps: float, count: int) -> list[int]:
        rho = min(load_pps / self.capacity_pps, 0.99)
        mean = self.base_latency_ns / (1 - rho)
        return [int(self.base_latency_ns + self.rng.expovariate(1 / mean)) for _ in range(count)]

    def _result(self, duration_s: float, load_pps: float, offered: int, forwarded: int) -> TrialResult:
        forwarded = max(0, forwarded - self._noise_loss(offered))
        samples = min(forwarded, self.latency_samples)
        cpu = None if self.cpu_ns_per_packet is None else round(forwarded * self.cpu_ns_per_packet)
        delays = self._delays(load_pps, samples)
        return TrialResult.from_counts(
            duration_s,
            load_pps,
            offered,
            forwarded,
            latency=summarize(delays) if delays else None,
            latency_histogram=histogram(delays) if delays else None,
            dut_cpu_time_ns=cpu,
        )

    def measure(self, duration_s: float, offered_load_pps: float) -> TrialResult:
        offered = round(offered_load_pps * duration_s)
        capacity = math.floor(self.capacity_pps * duration_s)
        return self._result(duration_s, offered_load_pps, offered, min(offered, capacity))

    def send_burst(self, frames: int) -> TrialResult:
        """A back-to-back burst at line rate: frames beyond the buffer are lost."""
        duration = max(frames / self.capacity_pps, 1e-9)
        return self._result(duration, frames / duration, frames, min(frames, self.buffer_frames))
