#!/usr/bin/env bash
# The long fuzz run: every libFuzzer target of tests/fuzz for 10 million executions (by default),
# under ASan + UBSan + LSan, from the nested sanitized build that `ctest -L fuzz` uses
# (build/sanitized, made by the ctest fixture sanitize.build; configure build/ first with
# tools/configure.sh). Working corpora, logs and any crash/timeout/leak/OOM inputs go to
# build/fuzz-long/<target>/, never into the source tree. Ends with a table of executions, speed,
# coverage and findings per target; exits 1 when any target found something.
#   tools/fuzz-long.sh [--runs N] [--jobs J] [--build DIR] [--max-time S] [target ...]
#   (N default 10000000; J targets at once, default: the number of cores; S optional limit per
#    target in seconds; targets by name without fuzz_, default all)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
runs=10000000
jobs=$(nproc)
build=build
max_time=
targets=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --max-time) max_time=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "fuzz-long: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ -f $build/CTestTestfile.cmake ]] || {
  echo "fuzz-long: $build is not a configured build (run tools/configure.sh)" >&2
  exit 2
}
build=$(cd "$build" && pwd)
# The same nested build as the ctest fixture, brought up to date.
ctest --test-dir "$build" -R '^sanitize\.build$' --output-on-failure > /dev/null || {
  echo "fuzz-long: the sanitized build failed; see: ctest --test-dir $build -R sanitize.build -V" >&2
  exit 1
}
fuzz_dir=$build/sanitized/tests/fuzz
if ((${#targets[@]} == 0)); then
  for binary in "$fuzz_dir"/fuzz_*; do
    [[ -x $binary && ! -d $binary ]] && targets+=("$(basename "$binary" | sed 's/^fuzz_//')")
  done
fi
((${#targets[@]})) || { echo "fuzz-long: no fuzz targets in $fuzz_dir" >&2; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "fuzz-long: ${targets[*]}; $runs runs each, $jobs at a time; CPU:" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

run_target() {
  local name=$1 work=$build/fuzz-long/$1
  rm -rf "$work/artifacts"
  mkdir -p "$work/corpus" "$work/artifacts"
  local seeds
  for seeds in "$source_dir/tests/fuzz/corpus/$name"; do
    if [[ -d $seeds ]] && compgen -G "$seeds/*" > /dev/null; then cp -n "$seeds"/* "$work/corpus/"; fi
  done
  local options=(-runs="$runs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
                 -artifact_prefix="$work/artifacts/")
  [[ -n $max_time ]] && options+=(-max_total_time="$max_time")
  local dict
  for dict in "$source_dir/tests/fuzz/$name.dict"; do
    [[ -f $dict ]] && options+=(-dict="$dict")
  done
  local started=$SECONDS status=0
  "$fuzz_dir/fuzz_$name" "${options[@]}" "$work/corpus" > "$work/log" 2>&1 || status=$?
  echo "$status $((SECONDS - started))" > "$work/result"
}

pids=()
for name in "${targets[@]}"; do
  [[ -x $fuzz_dir/fuzz_$name ]] || { echo "fuzz-long: no target fuzz_$name" >&2; exit 2; }
  rm -f "$build/fuzz-long/$name/result"
  run_target "$name" &
  pids+=($!)
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

failed=0
printf '\n%-14s %12s %8s %9s %8s %8s %7s %s\n' target execs exec/s seconds cov ft corpus findings
for name in "${targets[@]}"; do
  work=$build/fuzz-long/$name
  read -r status seconds < "$work/result"
  log=$work/log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' <<< "$last" | grep -o '[0-9]*$' || echo '?')
  ft=$(grep -o 'ft: [0-9]*' <<< "$last" | grep -o '[0-9]*$' || echo '?')
  corpus=$(find "$work/corpus" -type f | wc -l)
  findings=$(find "$work/artifacts" -type f | wc -l)
  verdict=$findings
  if ((status != 0 || findings != 0)); then
    failed=1
    verdict="$findings (exit $status; see $log)"
  fi
  printf '%-14s %12s %8s %9s %8s %8s %7s %s\n' "$name" "$execs" "$speed" "$seconds" "$cov" "$ft" \
    "$corpus" "$verdict"
done
exit "$failed"
