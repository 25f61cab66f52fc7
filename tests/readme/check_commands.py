"""Checks the READMEs' shell commands (commands.txt from extract_snippets.py) against the tree:

    check_commands.py SOURCE_DIR BUILD_DIR commands.txt

Every path a command names must exist: tools/..., ./python and the like in the source tree, and
build/... in the build tree (the READMEs' `build` is the build folder). A command that runs
Python on the built package (`PYTHONPATH=build/python /usr/bin/python3 -c ...`) is run, without a
shell, and must exit 0. The demo's outputs (out/...) and what a reader makes (.venv) are not
checked: the demo and the install tests make them. Fails listing every command that drifted.
"""

import os
import pathlib
import re
import shlex
import subprocess
import sys

PATH_TOKEN = re.compile(r"^(?:\$PWD/)?(?:\./)?((?:build|tools|python|examples|bench|notebooks|tests)"
                        r"(?:/[\w.+-]+)*)$")


def main():
    source, build = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    problems = []
    checked = 0
    for entry in pathlib.Path(sys.argv[3]).read_text(encoding="utf-8").splitlines():
        if not entry.strip():
            continue
        where, command = entry.split(": ", 1)
        words = shlex.split(command.split(" #")[0])
        for word in words:
            for part in re.split(r"[=:]", word):
                match = PATH_TOKEN.match(part)
                if not match:
                    continue
                name = match.group(1)
                path = build / name[len("build/"):] if name.startswith("build/") or \
                    name == "build" else source / name
                checked += 1
                if not path.exists():
                    problems.append(f"{where}: {name} does not exist ({path})")
        if words and words[0].startswith("PYTHONPATH=") and "-c" in words:
            environment = dict(os.environ)
            value = words[0].split("=", 1)[1].replace("$PWD/", "")
            environment["PYTHONPATH"] = str(build / value[len("build/"):]) \
                if value.startswith("build/") else value
            result = subprocess.run(words[1:], env=environment, capture_output=True, text=True,
                                    timeout=120, check=False)
            checked += 1
            if result.returncode != 0:
                problems.append(f"{where}: `{command}` failed: {result.stderr.strip()}")
            else:
                print(f"{where}: ran, printed {result.stdout.strip()!r}")
    print(f"{checked} paths and commands checked")
    if problems:
        sys.exit("README commands that do not match the tree:\n" + "\n".join(problems))


if __name__ == "__main__":
    main()
