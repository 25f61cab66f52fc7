"""What the Value tests against PyTorch share (test_value_grad.py, test_value_forward.py): the
scalar ops in both engines, random programs over them, and the comparison of two float64 results
that treats NaN and the infinities as equal to themselves."""

import math

# (name, arity, kindling op, torch op); pow's exponent is drawn from POW_EXPONENTS.
POW_EXPONENTS = [2.0, 3.0, 0.5, -1.0, 1.5, 1.0, 0.0, -0.5]
OPS = [
    ("add", 2, lambda a, b: a + b, lambda a, b: a + b),
    ("sub", 2, lambda a, b: a - b, lambda a, b: a - b),
    ("mul", 2, lambda a, b: a * b, lambda a, b: a * b),
    ("div", 2, lambda a, b: a / b, lambda a, b: a / b),
    ("neg", 1, lambda a: -a, lambda a: -a),
    ("exp", 1, lambda a: a.exp(), lambda a: a.exp()),
    ("log", 1, lambda a: a.log(), lambda a: a.log()),
    ("tanh", 1, lambda a: a.tanh(), lambda a: a.tanh()),
    ("relu", 1, lambda a: a.relu(), lambda a: a.relu()),
    ("sigmoid", 1, lambda a: a.sigmoid(), lambda a: a.sigmoid()),
    ("pow", 1, None, None),
]


def apply(index, args, k, is_torch):
    """OPS[index] on args (Values, or tensors when is_torch); k is pow's exponent."""
    name, _, k_op, t_op = OPS[index]
    if name == "pow":
        return args[0] ** k
    return (t_op if is_torch else k_op)(*args)


def random_program(rng, n_inputs, n_ops):
    """A list of steps (op index, operand indices, exponent) over a growing list of nodes."""
    steps = []
    count = n_inputs
    for _ in range(n_ops):
        index = rng.randrange(len(OPS))
        arity = OPS[index][1]
        # Prefer recent nodes so that the program is deep, not only wide.
        operands = [rng.randrange(max(0, count - 3), count) if rng.random() < 0.7
                    else rng.randrange(count) for _ in range(arity)]
        steps.append((index, operands, rng.choice(POW_EXPONENTS)))
        count += 1
    return steps


def run_program(steps, inputs, is_torch):
    nodes = list(inputs)
    for index, operands, k in steps:
        nodes.append(apply(index, [nodes[i] for i in operands], k, is_torch))
    # The output uses every node made, so that all ops are differentiated.
    out = nodes[len(inputs)]
    for node in nodes[len(inputs) + 1:]:
        out = out + node
    return out


def close(ours, theirs, rel=1e-9, abs_=1e-10):
    if math.isnan(theirs):
        return math.isnan(ours)
    if math.isinf(theirs):
        return ours == theirs
    return math.isfinite(ours) and abs(ours - theirs) <= abs_ + rel * abs(theirs)
