#!/usr/bin/env bash
# Installs the Debian 12 packages kindling needs, idempotently: nothing is downloaded when they are
# all present. Usage: tools/install-deps.sh [demo|test]   (test also installs the test references,
# the benchmark peers, the browser the HTML player test uses, and clang with its sanitizer and
# libFuzzer runtimes and LLVM's OpenMP with Archer for the sanitized, TSan and fuzz builds)
set -euo pipefail

profile=${1:-test}
build_packages=(
  build-essential cmake pkg-config git
  xtensor-dev libxsimd-dev xtl-dev nlohmann-json3-dev zlib1g-dev libomp-dev
  catch2 graphviz libgraphviz-dev
  pybind11-dev python3-dev python3-numpy
  dataset-fashion-mnist
  gnuplot-nox  # the demo's loss-curve PNG
  emscripten   # the web playground (web/): the engine compiled to WebAssembly
  # the site (docs/, the `docs` target the demo builds): Sphinx, its extensions, Doxygen
  doxygen pandoc python3-sphinx python3-myst-parser python3-nbsphinx python3-breathe
  python3-sphinx-rtd-theme python3-sphinx-inline-tabs
)
test_packages=(
  python3-pytest python3-torch libopenblas-dev
  python3-nbclient python3-ipykernel python3-nbformat jupyter-nbconvert python3-matplotlib
  chromium
  clang libclang-rt-14-dev libomp-14-dev
  libadolc-dev valgrind  # bench/scalar_moons: its ADOL-C peer and its callgrind mode
  libopenmpi-dev openmpi-bin  # kindling::dist (data-parallel training) and its mpirun tests
)
# npm fetches the playground's Graphviz (and the browser test's driver); a Node.js that is not
# Debian's may bring its own npm, which is then used as it is.
if ! command -v npm >/dev/null 2>&1; then build_packages+=(npm); fi
packages=("${build_packages[@]}")
if [[ $profile == test ]]; then packages+=("${test_packages[@]}"); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
  "${missing[@]}"
