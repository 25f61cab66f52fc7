#!/usr/bin/env bash
# The README's first command: installs what kindling needs, builds it, and runs the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh demo
tools/configure.sh
mkdir -p out
echo
echo "== micrograd's moons MLP on kindling::Value =="
build/examples/moons --out-dir out
if [[ -x build/examples/fashion_mnist/fashion_mnist ]]; then
  echo
  echo "== Fashion-MNIST MLP on kindling::Tensor =="
  build/examples/fashion_mnist/fashion_mnist --epochs 1 --out-dir out
fi
echo
echo "Outputs are in out/ (render a graph: dot -Tsvg -O out/moons_neuron.dot)"
