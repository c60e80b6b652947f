#!/usr/bin/env bash
# The main command: set up (Debian packages + venv), run the default suites (conformance and
# negative) against the reference gateway offline, a short performance sweep (GCM and CBC,
# lookaside vs CPU vs inline crypto, anti-replay under reordering), append to the history and
# print the path of the HTML report. Bounded: every suite has a timeout, every trial a frame cap.
# Usage: ./run.sh [PLAN.toml]   (default examples/nightly-plan.toml)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source scripts/setup.sh
plan=${1:-examples/nightly-plan.toml}
status=0
timeout --signal=INT --kill-after=30 900 python -m harness.cli nightly "$plan" || status=$?
results=$(python - "$plan" <<'PY'
import sys
from harness.plan import load_plan
print(load_plan(sys.argv[1]).results_dir.resolve())
PY
)
if [ -f "$results/report.html" ]; then
    echo "HTML report: $results/report.html"
fi
case $status in
    0) echo "run.sh: all suites passed, no regression" ;;
    1) echo "run.sh: a conformance failure or a regression (see above and the report)" ;;
    *) echo "run.sh: failed with status $status" ;;
esac
exit $status
