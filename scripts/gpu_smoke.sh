#!/usr/bin/env bash
# One-shot check of imgcls on a GPU (about 3-5 minutes on one GPU): prints a table of results.
# Usage: scripts/gpu_smoke.sh            (needs CUDA; exits with a message when there is none)
#        scripts/gpu_smoke.sh --device cpu   (a dry run of the script on the CPU; fp16 checks are skipped)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
export CUBLAS_WORKSPACE_CONFIG=:4096:8 PYTHONUNBUFFERED=1
exec python scripts/gpu_smoke.py "$@"
