"""Builds kindling's site (the `docs` CMake target and the docs.build test run this):

    build_docs.py --source ROOT --build BUILD_DIR --python-path DIR [--output DIR]

1. Stages a copy of docs/ in BUILD_DIR/docs/src, with the notebooks beside it and the generated
   pages: the C++ reference (one page per module, one section per public header, so that a new
   header is in the reference the day it lands), and the Notes collected from the sources.
2. Runs Doxygen over every public header. Any warning, an undocumented public name included, is
   an error.
3. Runs sphinx-build with warnings as errors (MyST pages, nbsphinx notebooks, Breathe, autodoc).
4. Checks every internal link and anchor of the built HTML, offline: the site must open from
   file:// with nothing missing. External links (http, https, mailto) are not followed.
5. Checks that the reference covers the API: every public Python name has an entry, and every
   public header has its section.

It prints the page count and how long each step took. Nothing here reaches a shell: every command
is an argument list.
"""

import argparse
import html.parser
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

MODULES = {
    "engine": "The scalar autograd core: `Value`, the graph walk every backward pass runs, the tape, "
    "grad mode, errors and random numbers.",
    "tensor": "`Tensor`: dtypes, devices, the op table, creation functions, autograd and forward "
    "mode, the CPU kernels' interface, GEMM and threads.",
    "explain": "Seeing the computation: DOT graphs, the backprop steppers, gradient checks, "
    "the expression parser and the HTML player.",
    "nn": "Neural networks: modules and layers, convolutions, losses, optimizers, schedulers, "
    "data loading, metrics, progress, state dicts, safetensors and checkpoints.",
    "gpu": "The CUDA device: memory, streams and the kernels' host side.",
    "dist": "Data-parallel training over MPI: the process group, DDP, the distributed sampler "
    "and checkpoints.",
    "web": "The backprop playground that runs kindling in the browser (WebAssembly).",
}

# The Python reference pages (docs/reference/python.md) document these modules.
PYTHON_MODULES = [
    "kindling",
    "kindling.nn",
    "kindling.nn.functional",
    "kindling.optim",
    "kindling.optim.lr_scheduler",
    "kindling.autograd",
    "kindling.autograd.functional",
    "kindling.autograd.forward_ad",
    "kindling.cuda",
    "kindling.distributed",
]


def public_headers(root):
    """{module: [header path under include/, ...]} for every installed header."""
    headers = {}
    for module in MODULES:
        include = root / module / "include"
        if include.is_dir():
            headers[module] = sorted(p.relative_to(include).as_posix() for p in include.rglob("*.hpp"))
    return headers


def write_cpp_reference(root, staging):
    """One page per public header (a namespace declared by several headers then appears once per
    page, which keeps docutils' targets unique), grouped by module."""
    out = staging / "reference" / "cpp"
    out.mkdir(parents=True, exist_ok=True)
    toc = []
    for module, headers in public_headers(root).items():
        pages = []
        for header in headers:
            page = re.sub(r"[^\w]", "_", header.removesuffix(".hpp"))
            lines = [f"# `<{header}>`", "", "```{doxygenfile} " + header_path(module, header),
                     ":project: kindling", "```"]
            (out / module).mkdir(exist_ok=True)
            (out / module / f"{page}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
            pages.append(f"{module}/{page}")
        lines = [f"# {module}", "", MODULES[module], "",
                 f"Link with `kindling::{module}`. One page per public header:", "",
                 "```{toctree}", ":maxdepth: 1", ""] + pages + ["```"]
        (out / f"{module}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        toc.append(module)
    index = ["# C++ reference", "",
             "One page per module (one CMake target each), one page per public header. Every "
             "public name is documented in its header; Doxygen's warning for an undocumented name "
             "fails the docs build.", "", "```{toctree}", ":maxdepth: 2", ""] + toc + ["```"]
    (out / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")


def header_path(module, header):
    # Breathe finds a file by the end of its path; the module folder makes it unique (nn.hpp and
    # tensor.hpp, nn/functional.hpp and tensor/functional.hpp).
    return f"{module}/include/{header}"


NOTE_HEADING = re.compile(r"^\s*(//|#)\s*Note \[([^\]]+)\](:?)\s*(.*)$")
COMMENT = re.compile(r"^\s*(//|#)\s?(.*)$")
SOURCE_SUFFIXES = {".hpp", ".cpp", ".cu", ".cuh", ".py", ".h", ".cmake", ".sh", ".js", ".ts"}
SOURCE_FOLDERS = ["engine", "tensor", "explain", "gpu", "nn", "dist", "web", "python", "tests",
                  "bench", "tools", "examples", "cmake"]


def collect_notes(root):
    """Notes, in the GHC style the code uses: a comment line `// Note [title]` followed by the
    comment lines that explain it; or `// Note [title]: text` where the text is the note. The
    definition is the first such comment found whose body is longest; every other mention is a
    reference. Returns {title: (path, line, body, [referencing paths])}."""
    definitions, mentions = {}, {}
    for folder in SOURCE_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            if "node_modules" in path.parts:
                continue
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            relative = path.relative_to(root).as_posix()
            for number, line in enumerate(lines):
                for title in re.findall(r"Note \[([^\]]+)\]", line):
                    mentions.setdefault(title, set()).add(relative)
                match = NOTE_HEADING.match(line)
                if not match:
                    continue
                title, rest = match.group(2), match.group(4)
                body = [rest] if rest else []
                following = number + 1
                while following < len(lines):
                    comment = COMMENT.match(lines[following])
                    if not comment or NOTE_HEADING.match(lines[following]):
                        break
                    body.append(comment.group(2))
                    following += 1
                text = "\n".join(body).strip()
                if not text:
                    continue
                known = definitions.get(title)
                if known is None or len(text) > len(known[2]):
                    definitions[title] = (relative, number + 1, text)
    return {title: (path, line, text, sorted(mentions.get(title, set()) - {path}))
            for title, (path, line, text) in definitions.items()}


def markdown_paragraphs(text):
    """A comment's text as Markdown: its lines kept as they were wrapped, each escaped so that
    nothing in a code comment turns into markup (a heading, a role, a directive)."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        escaped = re.sub(r"([\\`*_{}\[\]<>#|$])", r"\\\1", line.rstrip())
        out.append(escaped)
    return "\n".join(out)


def write_notes(root, staging):
    notes = collect_notes(root)
    out = staging / "design" / "notes.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# The Notes", "",
             "A Note is a comment that explains a decision once, where the code makes it, under a "
             "title the rest of the code refers to (`see Note [title]`). This page is generated "
             f"from the sources when the site builds: {len(notes)} Notes, alphabetical. Each gives "
             "the file and line that define it and the files that refer to it.", ""]
    for title in sorted(notes, key=str.lower):
        path, line, text, references = notes[title]
        lines += [f"## {title}", "", f"*Defined in* `{path}:{line}`."]
        if references:
            lines += ["*Referred to from* " + ", ".join(f"`{r}`" for r in references) + "."]
        lines += ["", markdown_paragraphs(text), ""]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(notes)


def stage(root, build):
    staging = build / "docs" / "src"
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(root / "docs", staging,
                    ignore=shutil.ignore_patterns("CMakeLists.txt", "Doxyfile.in", "build_docs.py", "*.dox",
                                                  "__pycache__"))
    shutil.copytree(root / "notebooks", staging / "notebooks")
    # The design chapter shows real code with literalinclude: a link to the tree keeps those
    # excerpts the code itself.
    (staging / "_source").symlink_to(root, target_is_directory=True)
    write_cpp_reference(root, staging)
    notes = write_notes(root, staging)
    return staging, notes


def run_doxygen(root, build):
    out = build / "docs" / "doxygen"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    includes = [str(root / m / "include") for m in MODULES if (root / m / "include").is_dir()]
    warnings = out / "warnings.txt"
    config = (root / "docs" / "Doxyfile.in").read_text(encoding="utf-8")
    # namespaces.dox documents the namespaces: Doxygen checks a namespace's free functions only when
    # the namespace itself is documented.
    inputs = includes + [str(root / "docs" / "namespaces.dox")]
    for key, value in {"OUTPUT_DIRECTORY": str(out), "INPUT": " ".join(inputs),
                       "STRIP_FROM_PATH": str(root), "STRIP_FROM_INC_PATH": " ".join(includes),
                       "WARN_LOGFILE": str(warnings)}.items():
        config = config.replace(f"@{key}@", value)
    (out / "Doxyfile").write_text(config, encoding="utf-8")
    subprocess.run(["doxygen", str(out / "Doxyfile")], check=True, cwd=out)
    found = sorted(set(warnings.read_text(encoding="utf-8").splitlines())) if warnings.exists() else []
    if found:
        print("\n".join(found))
        raise SystemExit(f"build_docs: Doxygen reported {len(found)} warnings (above)")
    return out / "xml"


class LinkParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("id", "name"):
            if attributes.get(name):
                self.ids.add(attributes[name])
        for name in ("href", "src"):
            if attributes.get(name) is not None and tag in ("a", "img", "link", "script", "iframe"):
                self.links.append(attributes[name])


def check_links(html_dir):
    """Every relative link of every page names a file that exists and, when it has a #fragment,
    an id in that file. Returns the number of links checked."""
    parsed = {}
    for page in html_dir.rglob("*.html"):
        parser = LinkParser()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        parsed[page.resolve()] = parser
    broken, checked = [], 0
    for page, parser in sorted(parsed.items()):
        for link in parser.links:
            split = urllib.parse.urlsplit(link)
            if split.scheme or link.startswith("//"):
                continue  # external: not followed offline
            checked += 1
            target = page if not split.path else (page.parent / urllib.parse.unquote(split.path))
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            where = page.relative_to(html_dir.resolve())
            if not target.exists():
                broken.append(f"{where}: {link} (no such file)")
                continue
            fragment = urllib.parse.unquote(split.fragment)
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else set()
                if fragment not in ids:
                    broken.append(f"{where}: {link} (no anchor #{fragment})")
    if broken:
        print("\n".join(broken))
        raise SystemExit(f"build_docs: {len(broken)} broken internal links (above)")
    return checked


def public_python_names(python_path):
    """Every public name of the modules the Python reference documents, by __all__ where a module
    has one (as autodoc reads it), as "module.name"."""
    script = (
        "import importlib, json, sys\n"
        "names = []\n"
        "for m in sys.argv[1:]:\n"
        "    mod = importlib.import_module(m)\n"
        "    public = getattr(mod, '__all__', None)\n"
        "    if public is None:\n"
        "        public = [n for n in vars(mod) if not n.startswith('_')]\n"
        "    for n in public:\n"
        "        if type(getattr(mod, n)).__name__ == 'module':\n"
        "            continue\n"
        "        names.append(m + '.' + n)\n"
        "print(json.dumps(names))\n")
    env = dict(os.environ, PYTHONPATH=python_path)
    result = subprocess.run([sys.executable, "-c", script] + PYTHON_MODULES, env=env, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout)


def check_reference(html_dir, python_path):
    """Every public Python name has an entry in the built site's inventory."""
    from sphinx.util.inventory import InventoryFile
    with open(html_dir / "objects.inv", "rb") as stream:
        inventory = InventoryFile.load(stream, "", os.path.join)
    documented = set()
    for kind, entries in inventory.items():
        if kind.startswith("py:"):
            documented.update(entries)
    missing = [n for n in public_python_names(python_path) if n not in documented]
    if missing:
        print("\n".join(missing))
        raise SystemExit(f"build_docs: {len(missing)} public Python names have no reference entry")
    cpp = sum(len(v) for k, v in inventory.items() if k.startswith("cpp:"))
    py = sum(len(v) for k, v in inventory.items() if k.startswith("py:"))
    return cpp, py


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--source", required=True, type=pathlib.Path)
    arguments.add_argument("--build", required=True, type=pathlib.Path)
    arguments.add_argument("--python-path", required=True)
    arguments.add_argument("--output", type=pathlib.Path)
    options = arguments.parse_args()
    root, build = options.source.resolve(), options.build.resolve()
    output = (options.output or build / "docs" / "html").resolve()
    timings = []
    start = time.monotonic()

    staging, notes = stage(root, build)
    timings.append(("stage", time.monotonic() - start))
    xml = run_doxygen(root, build)
    timings.append(("doxygen", time.monotonic() - start - sum(t for _, t in timings)))

    env = dict(os.environ, KINDLING_DOXYGEN_XML=str(xml), KINDLING_PYTHON_PATH=options.python_path,
               PYTHONPATH=options.python_path + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONDONTWRITEBYTECODE="1")
    if output.exists():
        shutil.rmtree(output)
    subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                    "-d", str(build / "docs" / "doctrees"), str(staging), str(output)],
                   check=True, env=env)
    timings.append(("sphinx", time.monotonic() - start - sum(t for _, t in timings)))

    links = check_links(output)
    cpp, py = check_reference(output, options.python_path)
    timings.append(("checks", time.monotonic() - start - sum(t for _, t in timings)))

    pages = sum(1 for p in output.rglob("*.html")
                if p.name not in ("genindex.html", "search.html", "py-modindex.html"))
    print(f"build_docs: {pages} pages, {notes} Notes, {links} internal links checked, "
          f"{cpp} C++ and {py} Python reference entries, in {time.monotonic() - start:.0f} s ("
          + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings) + ")")
    print(f"build_docs: open {output / 'index.html'}")


if __name__ == "__main__":
    main()
