#!/usr/bin/env bash
# Sets up everything the project needs on a fresh Debian machine, idempotently:
# Debian packages (tshark, tcpreplay, iproute2) when missing, and a venv in .venv with the
# project installed in editable mode with its dev extras. Sourced by run.sh and test.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

need_apt=()
command -v tshark >/dev/null 2>&1 || need_apt+=(tshark)
command -v tcpreplay >/dev/null 2>&1 || need_apt+=(tcpreplay)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # tests/test_report_in_chromium.py
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Debian packages: ${need_apt[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "setup: missing ${need_apt[*]} and not root with apt-get: tests needing them will skip" >&2
    fi
fi

venv="$root/.venv"
stamp="$venv/.installed-$(sha256sum "$root/pyproject.toml" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "setup: creating $venv and installing the project" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$venv/bin/python" -m pip install -q -e "$root[dev]"
    rm -f "$venv"/.installed-*
    touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
