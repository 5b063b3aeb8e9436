#!/usr/bin/env bash
# Render README.md from nbs/index.ipynb (Quarto-free; nbdev-readme needs Quarto).
# Links that are relative to nbs/ (notebooks, images, tutorials) are rewritten to work from the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jupyter nbconvert --log-level=WARN --to markdown nbs/index.ipynb --output-dir . --output README
sed -i -E 's#\]\(((images|tutorials)/|[0-9]{2}_[a-z_]+\.ipynb)#](nbs/\1#g' README.md
