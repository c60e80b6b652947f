"""Repository root conftest: load the harness pytest plugin from the source tree when the
project is not installed (installed, the ``ipsec_harness`` entry point already loads it, and
loading it twice is an error)."""
from importlib.metadata import entry_points

_PLUGIN = "harness.pytest_plugin"
pytest_plugins = [] if any(ep.value == _PLUGIN for ep in entry_points(group="pytest11")) else [_PLUGIN]
