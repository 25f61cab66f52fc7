"""Differential test of kindling against PyTorch: random programs, every value and gradient.

    differential.py [--seed S] [--count N] [--start I0] [--kind value|tensor|both] [--jobs J]
                    [--program I] [--verbose]

runs N programs of each kind (from index I0) in J processes; --program I replays one program
alone and prints it. Each program is drawn from its own generator, seeded by S and its index.
Needs the built module on PYTHONPATH (build/python) and Debian's python3-torch. Two kinds:

  value   expression DAGs on kindling.Value: + - * / with Values and with numbers on either side,
          ** with constant exponents (kindling refuses a Value exponent by design), neg, tanh,
          exp, log, relu, sigmoid; nodes are reused, so subexpressions are shared and a Value
          can meet itself (x * x, a + a).
  tensor  tensor programs: elementwise unary and binary ops with broadcasting (and with numbers),
          comparisons and where, maximum/minimum, clamp with inputs at the bounds, reductions
          (sum, mean, max, min, argmax over axes, keepdim), matmul, views (transpose, permute,
          slices with steps, indexing, expand, reshape, squeeze, unsqueeze, flatten) on
          non-contiguous inputs, contiguous/clone/detach, casts, concat/stack, softmax,
          log_softmax, logsumexp and cross_entropy; float32 and float64.

Inputs mix ordinary numbers with special ones: 0, -0, +-inf, NaN, subnormals, the largest and
smallest normals, exact ties, and values exactly at clamp bounds. Every program ends in a scalar
loss (the sum of each result times fixed random weights) whose backward() fills every gradient.

Note [localised comparison]
Each node is checked on its own, against PyTorch applied to kindling's own inputs of that node:
the forward value of node n against torch's op on the values kindling computed for n's inputs, and
the gradient kindling accumulated in node x against the sum, over x's consumers c, of torch's
vector-Jacobian product of c at kindling's inputs of c and kindling's gradient of c. Comparing the
two libraries end to end would compound their (legitimate) rounding differences through
ill-conditioned chains until the comparison means nothing; checked node by node, the only
difference left is the op itself, so a tolerance of a few ulps (times the number of terms a
reduction adds) is enough and the report names the op at fault, with its inputs. Accumulation and
graph bugs still show: a node's gradient is compared with the sum over all its consumers. Where
the reference itself is not determined the tolerance says so: a sum whose terms overflow the
dtype (the order of the additions decides between inf, NaN and a number) is not compared; pow's
error grows with |b log a| and the softmax family's with the magnitude of its inputs (at
|x| ~ 1/eps PyTorch's own gradients are off by a factor of two).

NaN-ness, infinities (with their signs), dtypes and shapes must be equal exactly, and so must the
sign of a zero in forward values (not in gradients, whose accumulation order gives zeros either
sign in PyTorch itself). Every mismatch is printed once per class (engine, direction, op, dtype,
kind) with a reproducer: the program up to that node, the node's inputs, and both results. The
exit status is 1 when any mismatch (or a kindling exception on a program torch accepts) was found,
2 when the test itself failed on a program (reported as the class "internal error").

Files: diff_common.py (dtypes, special values, the comparison, the report), diff_tensor_ops.py
(each tensor op for both libraries, with its tolerances), diff_tensor_programs.py and
diff_value_programs.py (generation and the checks).
"""

import argparse
import collections
import sys
import time
import traceback

import torch

from diff_common import Draw, Report
from diff_tensor_programs import generate_tensor_program, program_slice, run_tensor_program
from diff_value_programs import ValueProgram, run_value_program

torch.set_num_threads(1)


def run_programs(seed, kind, indices, verbose=False, show_program=False):
    """Runs the programs of one kind; returns (Report, Counter). An exception that reaches this
    level is a bug in this test (kindling's exceptions are caught as findings): it is reported as
    the class "internal error" with its traceback, and the run goes on with the next program."""
    report = Report(verbose)
    counts = collections.Counter()
    order = 0 if kind == "value" else 1
    for index in indices:
        # Value and tensor programs draw from separate streams: (seed, 2i) and (seed, 2i + 1).
        draw = Draw(seed, 2 * index + order)
        tag = f"{kind} program {index} (--seed {seed} --kind {kind} --program {index})"
        report.where = (order, index)
        try:
            if kind == "value":
                p = ValueProgram(draw)
                if show_program:
                    print(f"{tag}:\n{p.slice_text([len(p.nodes) - 1])}")
                run_value_program(p, report, tag)
                counts["value nodes"] += len(p.nodes)
            else:
                p = generate_tensor_program(draw)
                if p is None:
                    counts["tensor programs without a loss"] += 1
                    continue
                if show_program:
                    print(f"{tag}:\n{program_slice(p.nodes, [p.loss])}")
                run_tensor_program(p, report, tag)
                counts["tensor nodes"] += len(p.nodes)
        except Exception:  # noqa: BLE001
            report.add(("internal error", kind), f"{tag}: the differential test itself failed "
                       f"(a bug in it, not a finding):\n{traceback.format_exc()}")
            counts["internal errors"] += 1
            continue
        counts[f"{kind} programs"] += 1
    return report, counts


def _run_chunk(task):
    return run_programs(*task)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000, help="programs of each kind")
    parser.add_argument("--start", type=int, default=0, help="index of the first program")
    parser.add_argument("--kind", choices=["value", "tensor", "both"], default="both")
    parser.add_argument("--program", type=int, help="run only this program index (verbose)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--verbose", action="store_true", help="print every mismatch in full")
    args = parser.parse_args(argv)

    kinds = ["value", "tensor"] if args.kind == "both" else [args.kind]
    single = args.program is not None
    first, count = (args.program, 1) if single else (args.start, args.count)
    report = Report(args.verbose or single)
    counts = collections.Counter()
    started = time.perf_counter()
    if args.jobs <= 1 or single:
        for kind in kinds:
            r, c = run_programs(args.seed, kind, range(first, first + count),
                                args.verbose or single, single)
            report.merge(r)
            counts.update(c)
    else:
        import multiprocessing

        chunk = 250
        tasks = [(args.seed, kind, range(i, min(i + chunk, first + count)), args.verbose)
                 for kind in kinds for i in range(first, first + count, chunk)]
        done = 0
        with multiprocessing.Pool(args.jobs) as pool:
            for r, c in pool.imap_unordered(_run_chunk, tasks):
                report.merge(r)
                counts.update(c)
                done += 1
                if done % 20 == 0 or done == len(tasks):
                    programs = counts["value programs"] + counts["tensor programs"]
                    print(f"  ... {programs} programs, {report.total()} mismatches, "
                          f"{time.perf_counter() - started:.0f} s", flush=True)
    seconds = time.perf_counter() - started
    report.print_classes()
    programs = counts["value programs"] + counts["tensor programs"]
    print(f"\ndifferential: {programs} programs ({counts['value programs']} Value, "
          f"{counts['tensor programs']} tensor; {counts['value nodes']} + "
          f"{counts['tensor nodes']} nodes) in {seconds:.1f} s, "
          f"{programs / max(seconds, 1e-9):.0f} programs/s, seed {args.seed}, "
          f"{args.jobs if not single else 1} job(s)")
    for note, count in sorted(report.notes.items()):
        print(f"({count} times: {note})")
    if report.total():
        print(f"{report.total()} mismatches in {len(report.classes)} classes "
              "(engine / direction / op / dtype / kind):")
        print(report.summary())
        return 2 if counts["internal errors"] else 1
    print("no mismatches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
