#!/usr/bin/env bash
# Sets everything up, then runs the project's own tests and the suites against the reference
# gateway in process; as root (with network namespaces) it then runs the conformance and
# negative suites again against the reference gateway live on veth pairs (--dut reference-live).
# Extra arguments go to the first pytest run only, and skip the live run.
# pytest's "no tests collected" (exit 5) counts as a failure: a run that ran nothing proves nothing.
set -uo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
source scripts/setup.sh || exit 1
set +e  # setup.sh runs with -e; from here a failing first run must not skip the live run

run_pytest() {
    python -m pytest -p no:cacheprovider "$@"
    local rc=$?
    if [ $rc -eq 5 ]; then
        echo "test.sh: pytest collected no tests" >&2
        rc=1
    fi
    return $rc
}

run_pytest "$@"
rc=$?
if [ $# -eq 0 ]; then
    if [ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1; then
        echo "test.sh: conformance and negative suites against the reference gateway live (reference-live)"
        run_pytest testsuites -m "conformance or negative" --dut reference-live -q || rc=1
    else
        echo "test.sh: live suites skipped: they need root and network namespaces (ip netns)" >&2
    fi
fi
exit $rc
