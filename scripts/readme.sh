#!/usr/bin/env bash
# Render README.md from nbs/index.ipynb (Quarto-free; nbdev-readme needs Quarto).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jupyter nbconvert --log-level=WARN --to markdown nbs/index.ipynb --output-dir . --output README
