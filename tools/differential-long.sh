#!/usr/bin/env bash
# The long differential run: kindling against PyTorch on 100,000 random programs (50,000 Value
# DAGs and 50,000 tensor programs) by default, on every core, with the Python module of build/
# (tools/configure.sh builds it). Prints each mismatch class once with a reproducer, the counts
# and the throughput; exits 1 when anything differs.
#   tools/differential-long.sh [--count N] [--seed S] [--jobs J] [--build DIR]
#   (N programs of each kind; S default 1; J default: the number of cores; DIR default build)
set -euo pipefail
cd "$(dirname "$0")/.."
count=50000
seed=1
jobs=$(nproc)
build=build
while (($#)); do
  case $1 in
    --count) count=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "differential-long: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ ! -d $build/python/kindling ]]; then
  echo "differential-long: no Python module in $build/python (run tools/configure.sh first)" >&2
  exit 2
fi
echo "differential-long: $count Value + $count tensor programs, seed $seed, $jobs job(s), CPU:" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
export PYTHONPATH=$PWD/$build/python PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=1
exec /usr/bin/python3 tests/differential/differential.py --seed "$seed" --count "$count" \
  --jobs "$jobs"
