"""Writes the code blocks of the READMEs out as programs, so the test suite compiles and runs them
and the READMEs cannot drift from the library (tests/readme/CMakeLists.txt).

    extract_snippets.py OUT_DIR ROOT README.md [python/README.md ...]

<stem> is the README's path under ROOT, as a name: readme, python_readme. Each ```cpp block
becomes OUT_DIR/<stem>_<n>.cpp: a block with its own main() as it stands; any other
block inside a main(), with its #include and using lines moved above it, after
`#include <kindling/nn.hpp>` and `using namespace kindling;`. An HTML comment right before a block,
`<!-- snippet setup: CODE -->`, gives the declarations the block assumes (invisible on the rendered
page); `<!-- snippet skip: REASON -->` leaves a block out. The ```python blocks of one README go, in
order, into one OUT_DIR/<stem>.py, as a reader runs them one after the other. The ```sh lines of
every README go into OUT_DIR/commands.txt ("README:line: command"), which check_commands.py
checks. The names written are printed, one per line: CMake reads them.

A page of the book (a Markdown file under docs/, <stem> its path there, e.g. docs_book_01_value) is
read as one program per language: its ```cpp blocks without a main() go, in order, into the one
main() of OUT_DIR/<stem>_cpp.cpp, since a chapter's blocks build on each other as the reader goes; a
block with its own main() is OUT_DIR/<stem>_<n>.cpp, and the ```python blocks are
OUT_DIR/<stem>_py.py. Blocks inside MyST's ::: directives (the
C++ and Python tabs) count like any other.
"""

import pathlib
import re
import sys

FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"<!--\s*snippet\s+(setup|skip):(.*?)-->", re.S)


def blocks(text, with_lines=False):
    """(language, code, directive, argument) for each fenced block, in order (and the line of its
    first code line, 1-based, when with_lines)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match or not match.group(1):
            i += 1
            continue
        language = match.group(1)
        before = "\n".join(lines[max(0, i - 6):i])
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        code = "\n".join(lines[i + 1:end])
        directive = argument = None
        found = list(DIRECTIVE.finditer(before))
        # Only a comment that ends on the line right before the fence belongs to the block.
        if found and before.rstrip().endswith("-->"):
            directive, argument = found[-1].group(1), found[-1].group(2).strip()
        yield (language, code, directive, argument) + ((i + 2,) if with_lines else ())
        i = end + 1


def has_main(code):
    return re.search(r"\bint\s+main\s*\(", code) is not None


def cpp_program(code, setup):
    if has_main(code):
        return code + "\n"
    head = ["#include <kindling/nn.hpp>", "#include <cstdio>", "#include <iostream>"]
    body = []
    for line in code.splitlines():
        (head if line.startswith(("#include", "using namespace")) else body).append(line)
    if "using namespace kindling;" not in head:
        head.append("using namespace kindling;")
    setup_lines = [setup] if setup else []
    return "\n".join(head + ["", "int main() {"] + setup_lines + body + ["}", ""])


def main():
    out_dir, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    commands = []
    for readme in sys.argv[3:]:
        path = pathlib.Path(readme).resolve()
        for language, code, directive, _, first in blocks(path.read_text(encoding="utf-8"), True):
            if language == "sh" and directive != "skip":
                pending, pending_line = "", None  # a command continued with a trailing backslash
                for offset, line in enumerate(code.splitlines()):
                    if not pending and (not line.strip() or line.lstrip().startswith("#")):
                        continue
                    if pending_line is None:
                        pending_line = first + offset
                    if line.rstrip().endswith("\\"):
                        pending += line.rstrip()[:-1].strip() + " "
                        continue
                    where = f"{path.relative_to(root).as_posix()}:{pending_line}"
                    commands.append(f"{where}: {pending}{line.strip()}")
                    pending, pending_line = "", None
    (out_dir / "commands.txt").write_text("\n".join(commands) + "\n", encoding="utf-8")
    print("commands.txt")
    for readme in sys.argv[3:]:
        path = pathlib.Path(readme).resolve()
        folder = path.parent.relative_to(root).as_posix()
        is_page = folder == "docs" or folder.startswith("docs/")
        name_part = path.stem if is_page else "readme"
        stem = re.sub(r"\W", "_", (folder + "_" if folder != "." else "") + name_part)
        python_parts = []
        page_parts = []
        count = 0
        for language, code, directive, argument in blocks(path.read_text(encoding="utf-8")):
            if directive == "skip":
                continue
            setup = argument if directive == "setup" else None
            if language == "cpp" and is_page and not has_main(code):
                page_parts.append((setup + "\n" if setup else "") + code)
            elif language == "cpp":
                count += 1
                name = f"{stem}_{count}.cpp"
                (out_dir / name).write_text(cpp_program(code, setup), encoding="utf-8")
                print(name)
            elif language == "python":
                python_parts.append((setup + "\n" if setup else "") + code)
        if page_parts:
            name = f"{stem}_cpp.cpp"
            (out_dir / name).write_text(cpp_program("\n".join(page_parts), None), encoding="utf-8")
            print(name)
        if python_parts:
            name = f"{stem}_py.py" if is_page else f"{stem}.py"
            (out_dir / name).write_text("\n\n".join(python_parts) + "\n", encoding="utf-8")
            print(name)


if __name__ == "__main__":
    main()
