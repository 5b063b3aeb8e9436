#!/usr/bin/env bash
# README command 2 (and CI): set up, check the notebooks are clean and exported, run nbdev-test, then pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# system packages for the tests: Chromium (browser tests), Debian's Fashion-MNIST files (data tests, offline), PostgreSQL 15 (tests/test_tune.py)
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
if [ ${#missing[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; fi
suite_start=$(date +%s)

snapshot() { find nbs imgcls README.md -type f -not -path '*/__pycache__/*' -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 sha1sum; }
check_unchanged() {  # $1: what changed, $2: snapshot before
  if [ "$(snapshot)" != "$2" ]; then
    echo "FAIL: $1. Run: nbdev-clean && nbdev-export && bash scripts/readme.sh, then commit." >&2
    diff <(echo "$2") <(snapshot) >&2 || true
    exit 1
  fi
}
before=$(snapshot); nbdev-clean; check_unchanged "unstripped notebooks (nbdev-clean changed files)" "$before"
before=$(snapshot); nbdev-export; check_unchanged "package not in sync with the notebooks (nbdev-export changed files)" "$before"
before=$(snapshot); bash scripts/readme.sh >/dev/null; check_unchanged "README.md not in sync with nbs/index.ipynb" "$before"
# style (pyproject.toml [tool.ruff]): the sources formatted, no line over 120 characters, no statements joined by `;` or `:`
ruff format --check --quiet nbs tests bench scripts docs || { echo "FAIL: run ruff format nbs tests bench scripts docs, then nbdev-export" >&2; exit 1; }
ruff check --quiet || { echo "FAIL: ruff check (lines over 120 characters, joined statements); fix the notebooks, then nbdev-export" >&2; exit 1; }

start=$(date +%s)
nbdev-test --n-workers 2 --timing
echo "nbdev-test took $(( $(date +%s) - start ))s"
# two workers (pytest-xdist): 1,122 s instead of 1,580 s on this 2-core machine, since one process left a core idle while it
# waited on its subprocesses (imgcls, torchrun, voila, PostgreSQL, Chromium); the slowest tests are listed at the end
python -m pytest -q -p no:cacheprovider -n 2 --durations=15 tests
echo "scripts/test.sh after set-up took $(( $(date +%s) - suite_start ))s"
