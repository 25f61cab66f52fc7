"""Sphinx configuration of the kindling site. docs/build_docs.py runs sphinx-build on a staged copy of
docs/ (with the notebooks and the generated Notes page beside it) and passes the paths this file reads
from the environment: where Doxygen's XML is, for Breathe, and where the built Python package is, for
autodoc (which imports kindling)."""

import logging
import os
import sys

project = "kindling"
author = "the kindling authors"
copyright = "2026, the kindling authors"
release = os.environ.get("KINDLING_VERSION", "")

extensions = [
    "myst_parser",
    "nbsphinx",
    "breathe",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_inline_tabs",
    "sphinx_rtd_theme",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# _source is the link to the tree that literalinclude reads from: never pages themselves.
exclude_patterns = ["_build", "_source", "**.ipynb_checkpoints"]

# MyST: ::: fences for directives (the C++ and Python tabs), anchors for ## and ### headings, so
# that [text](page.md#a-heading) links resolve and are checked.
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# The notebooks are stored with their outputs, and the test suite runs them (notebook.* tests):
# the site shows the stored outputs instead of running them a second time.
nbsphinx_execute = "never"

breathe_projects = {"kindling": os.environ.get("KINDLING_DOXYGEN_XML", "doxygen/xml")}
breathe_default_project = "kindling"
breathe_default_members = ("members",)


class _NamespaceRedeclared(logging.Filter):
    """A namespace is declared by many headers, and each header's page declares it again: the C++
    domain's "Duplicate C++ declaration" for a namespace is expected, not a mistake in a page.
    Sphinx 5.3 gives that warning no type to suppress, so this drops exactly those (a duplicate
    of anything else still fails the build)."""

    def filter(self, record):
        message = record.getMessage()
        return not ("Duplicate C++ declaration" in message and "'.. cpp:type:: " in message
                    and "(" not in message.split("cpp:type::", 1)[1])


def setup(app):
    logging.getLogger("sphinx.sphinx.domains.cpp").addFilter(_NamespaceRedeclared())

python_package = os.environ.get("KINDLING_PYTHON_PATH")
if python_package:
    sys.path.insert(0, python_package)
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "sphinx_rtd_theme"
html_title = "kindling"
html_static_path = []
html_show_sourcelink = False
# The site opens from file://: no search index needs a server, but keep the pages self-contained.
html_copy_source = False
