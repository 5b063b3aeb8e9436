#!/usr/bin/env bash
# README command 3: set up, then open the project in JupyterLab on 127.0.0.1 (extra arguments go to `jupyter lab`, e.g. --port=8890).
# A notebook's kernel works in the notebook's folder: data/ and runs/ of a notebook in nbs/ land in nbs/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
root=(); [ "$(id -u)" = 0 ] && root=(--allow-root)
exec jupyter lab --ip=127.0.0.1 --ServerApp.root_dir="$PWD" "${root[@]}" "$@" nbs/index.ipynb
