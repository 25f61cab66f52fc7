"""Writes the examples in the public headers' Doxygen comments (the @code ... @endcode blocks, which
the C++ reference shows) out as programs, so that the test suite compiles and runs every one of them
and the reference cannot drift from the library (tests/docs/CMakeLists.txt).

    header_examples.py OUT_DIR ROOT HEADER...

An example is read as a reader reads it: a fragment of a function body. It may use a few names
the reader is expected to have already (a `model`, a `loader`, an `opt`, ...); CONTEXT below
declares each of them, the same for every example, and an example gets the ones it mentions but
does not declare itself. Every example runs in a function of its own, with fresh context objects,
under a `#line` directive, so that a compiler error or a thrown kindling::error names the header's
line. The examples of all headers outside dist/ go into OUT_DIR/header_examples.cpp, whose main()
runs them in order and reports the first that throws. An example of dist/ (MPI: one process group
per process) is a program of its own, OUT_DIR/header_examples_dist_<n>.cpp, run under mpirun with
2 ranks; the generated main() calls kindling::dist::init() unless the example does. An example
with its own main() is a program as it stands. An example that needs a GPU (it names
Device::cuda or kindling::gpu::DeviceBuffer) runs when kindling::gpu::is_available() and says so
otherwise. The file names written are printed, one per line: CMake reads them.
"""

import pathlib
import re
import sys

# (name, declaration, the names it uses): what an example may take as given. One model, one
# optimizer, one loader, so that the examples that share them fit together; small enough to run in
# milliseconds.
CONTEXT = [
    ("gen", "kindling::Generator gen(0);", []),
    ("model", "auto model = kindling::nn::mlp<kindling::nn::ReLU>({784, 32, 10}, gen);", ["gen"]),
    ("inputs", "kindling::Tensor inputs = kindling::randn({16, 784}, gen);", ["gen"]),
    ("targets", "kindling::Tensor targets = kindling::randint(0, 10, {16}, gen);", ["gen"]),
    ("logits", "kindling::Tensor logits = (*model)(inputs);", ["model", "inputs"]),
    ("y", "kindling::Tensor y = logits;", ["logits"]),
    ("loss", "kindling::Tensor loss = kindling::nn::cross_entropy(logits, targets);",
     ["logits", "targets"]),
    ("train", "kindling::nn::TensorDataset train(kindling::randn({64, 784}, gen), "
     "kindling::randint(0, 10, {64}, gen));", ["gen"]),
    ("loader", "kindling::nn::DataLoader loader(train, {.batch_size = 16, .shuffle = true, "
     ".seed = 1});", ["train"]),
    ("test_loader", "kindling::nn::DataLoader test_loader(train, {.batch_size = 16});",
     ["train"]),
    ("opt", "kindling::nn::SGD opt(model->parameters(), {.lr = 0.1});", ["model"]),
    ("sched", "kindling::nn::StepLR sched(opt, 30, 0.1);", ["opt"]),
    ("step", "std::int64_t step = 100;", []),
    ("validation_loss", "double validation_loss = 0.5;", []),
    ("train_one_epoch", "auto train_one_epoch = [&](kindling::nn::Module& m, "
     "kindling::nn::Optimizer& o) { o.zero_grad(); kindling::nn::cross_entropy(m(inputs), "
     "targets).backward(); o.step(); };", ["inputs", "targets"]),
    ("x", "kindling::Tensor x = kindling::randn({2, 3}, gen, "
     "kindling::DType::float64).set_requires_grad();", ["gen"]),
    ("c", "kindling::Value c = kindling::Value(2.0, \"a\") * kindling::Value(-3.0, \"b\");", []),
    ("value_x", "kindling::Value value_x(0.5, \"x\");", []),
    ("out", "kindling::Value out = (value_x * value_x * 2.0).tanh().set_label(\"out\");",
     ["value_x"]),
    ("gradient", "kindling::Value gradient = kindling::grad(out, {value_x}, true)[0];",
     ["out", "value_x"]),
    ("stepper", "kindling::ValueStepper stepper(out);", ["out"]),
    ("dx", "kindling::GradGraphStepper dx_builder(out, {value_x}); dx_builder.run_to_end(); "
     "kindling::Value dx = dx_builder.gradients()[0];", ["out", "value_x"]),
    ("render_svg", "auto render_svg = [](const std::string& dot) { return \"<svg xmlns="
     "'http://www.w3.org/2000/svg'><!-- \" + std::to_string(dot.size()) + \" bytes of DOT "
     "--></svg>\"; };", []),
    # dist/: the DistributedDataParallel examples' model and their slices of a batch.
    ("ddp", "kindling::dist::DistributedDataParallel ddp(std::make_shared<kindling::nn::Linear>"
     "(4, 1, gen));", ["gen"]),
] + [(name, f"kindling::Tensor {name} = kindling::randn({{2, {width}}}, gen);", ["gen"])
     for name, width in (("x1", 4), ("y1", 1), ("x2", 4), ("y2", 1))]
DIST_CONTEXT = {"x": "kindling::Tensor x = kindling::randn({2, 4}, gen);",
                "y": "kindling::Tensor y = kindling::randn({2, 1}, gen);",
                "train": "kindling::nn::TensorDataset train(kindling::randn({10, 4}, gen), "
                "kindling::randn({10, 1}, gen));"}

COMMENT = re.compile(r"^\s*///? ?(.*)$")


def examples(path):
    """(line of the first code line, code) for each @code block of a header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if not re.match(r"^\s*///\s*@code\s*$", lines[i]):
            # A block this reader would not see (`@code{.cpp}`, `\code`) would go untested.
            if re.search(r"[@\\]code\b", lines[i]) and lines[i].lstrip().startswith("///"):
                sys.exit(f"{path}:{i + 1}: write a C++ example as a line `/// @code` of its own "
                         "(header_examples.py reads no other form), and other text as @verbatim")
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not re.match(r"^\s*///\s*@endcode\s*$", lines[end]):
            end += 1
        if end == len(lines):
            sys.exit(f"{path}:{i + 1}: this @code has no `/// @endcode` line")
        yield i + 2, "\n".join(COMMENT.match(line).group(1) for line in lines[i + 1:end])
        i = end + 1


def mentions(code, name):
    return re.search(rf"(?<![\w.:>]){re.escape(name)}\b", code) is not None


def declares(code, name):
    """Whether the example declares `name` itself (as `T name(...)`, `T name = ...`, `T name{...}`
    or `auto [..., name]`)."""
    return re.search(rf"[\w>&*]\s+{re.escape(name)}\s*[({{=;]", code) is not None


def context_for(code, in_dist):
    """The declarations of the context names an example mentions but does not declare, and of the
    names those use, in CONTEXT's order (so that a name comes after the names it uses)."""
    table = {name: (declaration, uses) for name, declaration, uses in CONTEXT}
    if in_dist:
        table.update((name, (declaration, ["gen"])) for name, declaration in DIST_CONTEXT.items())
    wanted, pending = set(), [n for n in table if mentions(code, n) and not declares(code, n)]
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(table[name][1])
    return [table[name][0] for name in table if name in wanted]


def needs_gpu(code):
    return "Device::cuda" in code or "gpu::DeviceBuffer" in code


def body(where, line, code, context):
    out = ["  " + declaration for declaration in context]
    if needs_gpu(code):
        out += ["  if (!kindling::gpu::is_available()) {",
                f"    std::cout << \"{where}:{line}: skipped, no GPU: \"",
                "              << kindling::gpu::unavailable_reason() << \"\\n\";",
                "    return;", "  }"]
    out += ["  {", f"#line {line} \"{where}\"", code, "  }"]
    return out


def main():
    out_dir, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    headers = sorted(pathlib.Path(a).resolve() for a in sys.argv[3:])

    def includes(in_dist):
        return [f"#include <{h.as_posix().split('/include/', 1)[1]}>" for h in headers
                if in_dist or not h.relative_to(root).as_posix().startswith("dist/")] + [
            "#include <cassert>", "#include <cstdint>", "#include <exception>",
            "#include <iostream>", "#include <string>", "#include <vector>", ""]

    functions, calls, programs = [], [], []
    for header in headers:
        where = header.relative_to(root).as_posix()
        in_dist = where.startswith("dist/")
        for line, code in examples(header):
            if re.search(r"\bint\s+main\s*\(", code):
                programs.append((in_dist, includes(in_dist) + [f"#line {line} \"{where}\"", code, ""]))
                continue
            context = context_for(code, in_dist)
            if in_dist:
                init = [] if "dist::init(" in code else [
                    "  kindling::dist::Environment env = kindling::dist::init();"]
                programs.append((in_dist, includes(True) + ["int main() {"] + init
                                 + body(where, line, code, context) + ["}", ""]))
                continue
            n = len(calls) + 1
            functions += [f"// {where}:{line}", f"void example_{n}() {{"]
            functions += body(where, line, code, context) + ["}", ""]
            calls.append((n, where, line))
    run = ["int main() {", "  const char* where = nullptr;", "  try {"]
    for n, where, line in calls:
        run += [f"    where = \"{where}:{line}\";", f"    example_{n}();"]
    run += ["  } catch (const std::exception& e) {",
            "    std::cerr << where << \": the example threw: \" << e.what() << \"\\n\";",
            "    return 1;", "  }",
            f"  std::cout << \"{len(calls)} examples ran\\n\";", "}", ""]
    (out_dir / "header_examples.cpp").write_text(
        "\n".join(includes(False) + functions + run), encoding="utf-8")
    print("header_examples.cpp")
    for n, (in_dist, program) in enumerate(programs, 1):
        name = f"header_examples_{'dist_' if in_dist else ''}{n}.cpp"
        (out_dir / name).write_text("\n".join(program), encoding="utf-8")
        print(name)


if __name__ == "__main__":
    main()
