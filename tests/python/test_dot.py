# kindling.to_dot: the DOT text of a Value's graph, and its rendering by Graphviz's `dot` (checked
# by parsing the SVG that dot draws), the Jupyter display hooks and the style hooks.
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

import kindling
from kindling import Value

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
SVG = "{http://www.w3.org/2000/svg}"


def example():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = Value(10.0, "c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, "f")
    loss = (d * f).tanh()
    loss.label = "L"
    loss.backward()
    return loss


def svg_groups(svg_text, kind):
    root = ET.fromstring(svg_text)
    return [g for g in root.iter(SVG + "g") if g.get("class") == kind]


def svg_texts(svg_text):
    # dot pads record fields with a space; strip it.
    return [t.text.strip() for t in ET.fromstring(svg_text).iter(SVG + "text") if t.text]


def test_source_has_one_record_per_node_and_one_edge_per_input():
    loss = example()
    graph = kindling.to_dot(loss)
    order = kindling.topological_order(loss)
    source = graph.source
    assert source.startswith('digraph "kindling" {') and source.rstrip().endswith("}")
    assert "rankdir=LR;" in source
    assert source.count("shape=record") == len(order)
    interior = [v for v in order if v.inputs]
    assert source.count("shape=ellipse") == len(interior)
    arrows = source.count(" -> ")
    assert arrows == sum(len(v.inputs) for v in order) + len(interior)
    assert "rankdir=TB;" in kindling.to_dot(loss, rankdir="TB").source


@needs_dot
def test_dot_renders_every_node_with_its_numbers():
    loss = example()
    order = kindling.topological_order(loss)
    graph = kindling.to_dot(loss)
    svg = graph._repr_svg_()
    interior = [v for v in order if v.inputs]
    assert len(svg_groups(svg, "node")) == len(order) + len(interior)
    assert len(svg_groups(svg, "edge")) == sum(len(v.inputs) for v in order) + len(interior)
    texts = svg_texts(svg)
    for v in order:
        assert "data %.4f" % v.data in texts
        assert "grad %.4f" % v.grad in texts
    for label in ("a", "b", "c", "d", "e", "f", "L"):
        assert label in texts
    for symbol in ("*", "+", "tanh"):
        assert symbol in texts


@needs_dot
def test_jupyter_display_hooks():
    graph = kindling.to_dot(Value(1.0, "x") * 2)
    bundle = graph._repr_mimebundle_()
    assert bundle["text/plain"] == graph.source
    assert ET.fromstring(bundle["image/svg+xml"]).tag == SVG + "svg"
    assert repr(graph).startswith("DotGraph(")


@needs_dot
def test_save_text_and_renderings(tmp_path):
    graph = kindling.to_dot(example())
    dot_path = graph.save(tmp_path / "graph.dot")
    assert open(dot_path).read() == graph.source
    png_path = graph.save(tmp_path / "graph.png", format="png")
    assert open(png_path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_record_characters_in_labels_survive_rendering():
    v = Value(1.0, "{a|b} <c> \"d\"") + 1
    svg = kindling.to_dot(v).pipe("svg").decode()
    assert '{a|b} <c> "d"' in svg_texts(svg)


@needs_dot
def test_style_hooks_colour_nodes_and_label_edges():
    loss = example()
    touched = []

    def colour(v):
        touched.append(v)
        return 'style=filled fillcolor="#ffd54f"' if v.label == "d" else None

    def edge(child, i):
        return "in%d" % i if child.op == "mul" else ""

    graph = kindling.to_dot(loss, node_attributes=colour, edge_label=edge)
    assert set(touched) == set(kindling.topological_order(loss))
    svg = graph._repr_svg_()
    assert svg.count('fill="#ffd54f"') == 1
    texts = svg_texts(svg)
    # Two mul nodes (a * b and d * f), each with edges in0 and in1.
    assert texts.count("in0") == 2 and texts.count("in1") == 2


def test_without_dot_the_text_is_still_shown(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    graph = kindling.to_dot(Value(1.0) + 1)
    assert not kindling.dot_available()
    assert graph._repr_svg_() is None
    assert graph._repr_mimebundle_() == {"text/plain": graph.source}
    with pytest.raises(RuntimeError, match="needs Graphviz"):
        graph.pipe()


def op_labels(source):
    return re.findall(r'_op \[shape=ellipse label="([^"]*)"\]', source)


# One DOT label per op in both engines (Note [scalar op table], Note [tensor op table]): a Value op
# and the tensor op of the same name draw the same op node, micrograd's symbols for arithmetic.
# pow differs only in what follows the "^": a Value's constant exponent ("^2"); a tensor's exponent
# is an input, drawn as an edge.
SHARED_OPS = [
    ("add", "+", "+", lambda x: x + x),
    ("sub", "-", "-", lambda x: x - x),
    ("mul", "*", "*", lambda x: x * x),
    ("div", "/", "/", lambda x: x / x),
    ("pow", "^2", "^", lambda x: x ** 2),
    ("neg", "neg", "neg", lambda x: -x),
    ("exp", "exp", "exp", lambda x: x.exp()),
    ("log", "log", "log", lambda x: x.log()),
    ("tanh", "tanh", "tanh", lambda x: x.tanh()),
    ("relu", "relu", "relu", lambda x: x.relu()),
    ("sigmoid", "sigmoid", "sigmoid", lambda x: x.sigmoid()),
]


@pytest.mark.skipif(not hasattr(kindling, "Tensor"), reason="needs the tensor library")
@pytest.mark.parametrize("name,value_label,tensor_label,f", SHARED_OPS,
                         ids=[row[0] for row in SHARED_OPS])
def test_value_and_tensor_draw_the_same_op_label(name, value_label, tensor_label, f):
    value = f(Value(0.5, "x"))
    assert value.op == name
    assert op_labels(kindling.to_dot(value).source) == [value_label]
    tensor = f(kindling.tensor([0.5], dtype="float64", requires_grad=True))
    assert tensor.op == name
    assert op_labels(kindling.to_dot(tensor).source) == [tensor_label]
    # The symbol survives Graphviz too: the rendered op node shows it.
    if kindling.dot_available():
        assert tensor_label in svg_texts(kindling.to_dot(tensor)._repr_svg_())


def test_tensor_graphs_use_the_tensor_style_and_name_parameters():
    model = kindling.nn.Sequential(kindling.nn.Linear(3, 2), kindling.nn.ReLU())
    x = kindling.ones([4, 3])
    loss = model(x).sum()
    styled = kindling.to_dot(loss, params=dict(model.named_parameters())).source
    # Parameters blue and named as named_parameters() names them; each module a cluster.
    assert "0.weight" in styled and "0.bias" in styled
    assert "#bbdefb" in styled and "subgraph \"cluster_" in styled
    pairs = kindling.to_dot(loss, params=model.named_parameters()).source
    assert pairs == styled
    plain = kindling.to_dot(loss, style="plain").source
    assert "#bbdefb" not in plain and "0.weight" not in plain
    collapsed = kindling.to_dot(loss, collapsed=["Sequential.0 (Linear)"]).source
    assert "collapsed" in collapsed
    with pytest.raises(kindling.Error, match="style must be 'tensor'"):
        kindling.to_dot(loss, style="fancy")
    with pytest.raises(kindling.Error, match="need style='tensor'"):
        kindling.to_dot(loss, style="plain", params=model.named_parameters())
    with pytest.raises(TypeError, match="for Tensor graphs"):
        kindling.to_dot(Value(1.0) * 2, style="plain")


def test_a_graph_without_history_says_why_it_has_one_node():
    w = kindling.ones([2]).requires_grad_()
    with kindling.no_grad():
        y = (w * 2).sum()
    source = kindling.to_dot(y).source
    assert "no recorded history" in source and "no_grad" in source
    assert "no recorded history" not in kindling.to_dot((w * 2).sum()).source
    with kindling.no_grad():
        v = Value(1.0) * 2
    assert "no recorded history" in kindling.to_dot(v).source
