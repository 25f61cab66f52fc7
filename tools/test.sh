#!/usr/bin/env bash
# The README's second command: installs what the tests need, builds everything, and runs the whole
# suite with ctest (C++ tests, Python tests, notebooks, consumer builds, the sanitized core).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh test
tools/configure.sh
export PYDEVD_DISABLE_FILE_VALIDATION=1
cd build
ctest --output-on-failure -j"$(nproc)"
