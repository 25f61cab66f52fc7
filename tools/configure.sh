#!/usr/bin/env bash
# Configures and builds kindling in build/ (Release) with Debian's Python; used by demo.sh and
# test.sh. Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=/usr/bin/python3 \
  -DPYTHON_EXECUTABLE=/usr/bin/python3 "$@"
cmake --build build -j"$(nproc)"
