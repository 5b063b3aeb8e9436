#!/usr/bin/env bash
# Re-take the panel's screenshots in nbs/images/ (the widgets page and the README show them): imgcls panel + headless Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if .venv/bin/python -c 'import imgcls, voila, playwright' 2>/dev/null; then . .venv/bin/activate; else source scripts/setup.sh; fi
python scripts/screenshots.py
