"""to_dot(): a Value's graph as Graphviz DOT text, displayed inline by Jupyter.

The C++ engine writes the DOT text (micrograd's draw_dot layout); rendering it to SVG or PNG
needs Graphviz's `dot` program, which is optional: without it the object still carries its
.source and Jupyter shows that text instead of a picture.
"""

import shutil
import subprocess

from . import _kindling


def dot_available():
    """Whether Graphviz's ``dot`` program is on PATH, so that graphs render to pictures.

    Without it a :class:`DotGraph` still has its ``source`` text, and Jupyter shows that.

    Example:
        >>> isinstance(kindling.dot_available(), bool)
        True
    """
    return shutil.which("dot") is not None


class DotGraph:
    """Graphviz DOT text that Jupyter displays as a picture: what :func:`to_dot` returns.

    ``source`` is the DOT text; ``pipe(format)`` renders it with Graphviz's ``dot`` and
    ``save(path)`` writes it. In a notebook the object shows as an SVG when ``dot`` is installed,
    else as its text (torchviz's make_dot returns a graphviz.Digraph; this is a lighter object with
    the same ``source`` and ``pipe``).

    Example:
        >>> g = kindling.DotGraph('digraph { a -> b }')
        >>> g.source
        'digraph { a -> b }'
    """

    def __init__(self, source):
        """Wraps ``source`` (str), a graph in the DOT language."""
        self.source = source

    def pipe(self, format="svg"):
        """The graph rendered by ``dot -T<format>``, as bytes.

        Args:
            format (str): any of Graphviz's output formats: ``'svg'`` (default), ``'png'``,
                ``'pdf'`` ...

        Raises:
            RuntimeError: without Graphviz's ``dot`` on PATH, or when ``dot`` fails (with its
                message).

        Example:
            >>> g = kindling.DotGraph('digraph { a -> b }')
            >>> g.pipe("svg").startswith(b"<?xml") if kindling.dot_available() else True
            True
        """
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
        """Writes the DOT text to ``path``, or its rendering when ``format`` is given; returns ``path``.

        Args:
            path (str or os.PathLike): the file.
            format (str, optional): render with ``dot`` first (``'svg'``, ``'png'`` ...).

        Raises:
            RuntimeError: for a format without Graphviz's ``dot``, as :meth:`pipe`.
            kindling.Error: when the DOT text cannot be written.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "graph.dot")
            >>> kindling.DotGraph('digraph { a -> b }').save(path) == path
            True
        """
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
    """The graph of everything ``root`` (a Value or a Tensor) depends on, as a :class:`DotGraph`.

    For a Value each node is a record of its label, data and grad, with its op as an ellipse
    (micrograd's draw_dot layout). For a Tensor each node shows its shape and dtype, as
    torchviz's make_dot. A root with no recorded history (a leaf, or a result computed under
    no_grad) draws one node, and the drawing says so in its caption. Jupyter shows the result as a
    picture when Graphviz's ``dot`` is installed.

    Args:
        root (Value or Tensor): the graph's output.
        rankdir (str): ``'LR'`` (left to right, the default) or ``'TB'`` (top to bottom).
        node_attributes (callable, optional): Value graphs only: ``Value -> str`` of extra DOT
            attributes for that node's record, e.g. ``'style=filled fillcolor="#ffd54f"'``.
        edge_label (callable, optional): Value graphs only: ``(child Value, input index) -> str``
            labelling that input's edge.
        style (str, optional): Tensor graphs only: ``'tensor'`` (the default: parameters blue,
            inputs grey, broadcast edges labelled with the sum their backward applies, each
            module a cluster) or ``'plain'``.
        params (dict or list of (str, Tensor), optional): Tensor graphs only: names for tensors
            without a label, as make_dot's ``params``, e.g. ``dict(model.named_parameters())``.
        collapsed (sequence of str): Tensor graphs only: module clusters to draw as one box each,
            e.g. ``['0 (Linear)']``.

    Raises:
        TypeError: for an option of the other kind of graph.
        kindling.Error: for a rankdir other than 'LR' or 'TB', another style, or params or
            collapsed with ``style='plain'``.

    Example:
        >>> a = kindling.Value(2.0, "a")
        >>> b = a * 3
        >>> b.label = "b"
        >>> g = kindling.to_dot(b)
        >>> g
        DotGraph(12 lines of DOT)
        >>> print(g.source.splitlines()[4])
          n0 [shape=record label="{ a | data\\ 2.0000 | grad\\ 0.0000 }"];
        >>> x = kindling.ones(2, requires_grad=True)
        >>> kindling.to_dot((x * 2).sum(), params={"x": x}).source.count("->") > 0
        True
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
