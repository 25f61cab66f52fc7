#!/usr/bin/env bash
# The README's first command: installs what kindling needs, builds it, and runs the main demo:
# micrograd's moons MLP on Value, one backward pass stepped node by node, and a Fashion-MNIST MLP
# on Tensor; then builds the site (docs/) into build/docs/html.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh demo
tools/configure.sh
mkdir -p out
echo
echo "== micrograd's moons MLP on kindling::Value =="
build/examples/moons --out-dir out
echo
echo "== the backward pass of a neuron, one node at a time =="
build/examples/step_backprop/step_backprop --out out/step_backprop \
  "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
echo
echo "== Fashion-MNIST MLP on kindling::Tensor =="
build/examples/fashion_mnist/fashion_mnist --epochs 1 --out-dir out
echo
echo "== the kindling site: the book, the reference and the design chapter =="
cmake --build build --target docs
echo
echo "Outputs are in out/: render a graph with  dot -Tsvg -O out/moons_neuron.dot ;"
echo "open build/web/site/index.html in a browser to step through backprop (the playground),"
echo "and build/docs/html/index.html for the site."
