#!/usr/bin/env bash
# Written by `grade gradescope`. Gradescope runs this once, as root, to build the autograder's
# image: a virtual environment with the CPU build of torch and the grader in this folder.
# AUTOGRADER_ROOT, GRADER_PYTHON and TORCH_INDEX_URL exist so that it can be tested elsewhere.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${GRADER_PYTHON:-python3}"
TORCH_INDEX_URL="${TORCH_INDEX_URL-$torch_index_url}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  # Gradescope's Ubuntu 22.04 image has Python 3.10; the grader needs 3.11 or newer.
  apt-get update -qq
  apt-get install -y -qq python3.11 python3.11-venv
  PYTHON=python3.11
fi
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet "$torch_requirement" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
"$ROOT/venv/bin/python" -m pip install --quiet -e "$SOURCE"
