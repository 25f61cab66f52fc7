#!/usr/bin/env bash
# The README's second command: installs what the tests need, builds everything, and runs the whole
# suite with ctest (C++ tests, Python tests, notebooks, consumer builds, the differential test
# against PyTorch, and the nested clang builds: the suite and examples under ASan/LSan/UBSan, the
# threaded tests under TSan, the fuzz targets). GPU tests report themselves skipped on a machine
# without a CUDA device.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh test
# Warnings are errors here (CI), not in demo.sh. The nested clang builds (sanitize, tsan, fuzz)
# do not get -Werror: tests/sanitize/CMakeLists.txt says why.
tools/configure.sh -DKINDLING_WERROR=ON
export PYDEVD_DISABLE_FILE_VALIDATION=1
cd build
set +e
ctest --output-on-failure -j"$(nproc)" 2>&1 | tee ctest.log
status=${PIPESTATUS[0]}
set -e
# ctest lists skipped tests after its summary; repeat the summary so the run ends with it.
grep -E "tests passed, .* tests failed out of" ctest.log | tail -n 1
exit "$status"
