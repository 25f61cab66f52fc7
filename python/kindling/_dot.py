"""to_dot(): a Value's graph as Graphviz DOT text, displayed inline by Jupyter.

The C++ engine writes the DOT text (micrograd's draw_dot layout); rendering it to SVG or PNG
needs Graphviz's `dot` program, which is optional: without it the object still carries its
.source and Jupyter shows that text instead of a picture.
"""

import shutil
import subprocess

from . import _kindling


def dot_available():
    """True when Graphviz's `dot` program is on PATH, so graphs render to pictures."""
    return shutil.which("dot") is not None


class DotGraph:
    """DOT text with Jupyter display hooks. `.source` is the text; `.pipe(fmt)` renders it."""

    def __init__(self, source):
        self.source = source

    def pipe(self, format="svg"):
        """The graph rendered by `dot -T<format>`, as bytes. Raises RuntimeError without dot."""
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("to_dot: rendering needs Graphviz's `dot` program on PATH")
        result = subprocess.run(
            [dot, "-T" + format], input=self.source.encode("utf-8"), capture_output=True
        )
        if result.returncode != 0:
            raise RuntimeError(
                "to_dot: dot -T%s failed: %s" % (format, result.stderr.decode("utf-8", "replace"))
            )
        return result.stdout

    def save(self, path, format=None):
        """Writes the DOT text to `path`, or the rendering when `format` ('svg', 'png') is given."""
        if format is None:
            _kindling._write_text_file(str(path), self.source)
        else:
            with open(path, "wb") as file:
                file.write(self.pipe(format))
        return path

    def _repr_svg_(self):
        return self.pipe("svg").decode("utf-8") if dot_available() else None

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self.source}
        if dot_available():
            bundle["image/svg+xml"] = self._repr_svg_()
        return bundle

    def __repr__(self):
        return "DotGraph(%d lines of DOT)" % self.source.count("\n")


def to_dot(root, rankdir="LR", node_attributes=None, edge_label=None, style=None, params=None,
           collapsed=()):
    """The graph of everything `root` (a Value or a Tensor) depends on, as a DotGraph.

    rankdir: 'LR' (left to right, micrograd's layout) or 'TB'.
    node_attributes: optional callable Value -> str of extra DOT attributes for that node's record
        (e.g. 'style=filled fillcolor="#ffd54f"'), or None for none. Value graphs only.
    edge_label: optional callable (child Value, input index) -> str labelling that input's edge.
        Value graphs only.

    For a Tensor:
    style: 'tensor' (the default: parameters blue, inputs grey, broadcast edges labelled with the
        sum their backward applies, each module a cluster) or 'plain'.
    params: names for tensors that have no label, as torchviz's make_dot(params=...) takes them:
        a dict or a list of (name, tensor) pairs, e.g. dict(model.named_parameters()).
    collapsed: module clusters to draw as one box each, e.g. ['Sequential.0 (Linear)'].

    A root with no recorded history (a leaf, or a result computed under no_grad) draws one node,
    and the drawing says so in its caption.
    """
    if isinstance(root, _kindling.Tensor):
        if node_attributes is not None or edge_label is not None:
            raise TypeError("to_dot: node_attributes and edge_label are for Value graphs; a Tensor "
                            "graph takes style, params and collapsed")
        if params is None:
            names = []
        elif hasattr(params, "items"):
            names = list(params.items())
        else:
            names = list(params)
        return DotGraph(_kindling._tensor_to_dot_styled(
            root, rankdir, "tensor" if style is None else style, names, list(collapsed)))
    if style is not None or params is not None or tuple(collapsed):
        raise TypeError("to_dot: style, params and collapsed are for Tensor graphs")
    return DotGraph(_kindling._to_dot(root, rankdir, node_attributes, edge_label))
