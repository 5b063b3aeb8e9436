#!/usr/bin/env bash
# Create .venv (when missing) and install imgcls into it with its development tools.
# Sourced by demo.sh and test.sh; leaves the venv activated.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --disable-pip-version-check --upgrade pip
python -m pip install -q --disable-pip-version-check -e ".[dev]"
