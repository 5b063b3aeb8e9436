#!/usr/bin/env bash
# README command 1: set up, train on the built-in digits, then evaluate the new run on its test split.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
imgcls train "$@"
imgcls infer
