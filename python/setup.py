# Builds kindling's compiled extension for pip by running the project's own CMake build (the same
# one `cmake --build` runs), then packages it with the pure-Python files beside this script.
# Settings come from pyproject.toml; this file only supplies the CMake step.
#
# Environment: CMAKE_BUILD_PARALLEL_LEVEL (jobs, default: all cores), KINDLING_CMAKE_ARGS (extra
# arguments for the CMake configure step, split on spaces).
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent  # the repository: python/ is one of its folders


class CMakeExtension(Extension):
    """An extension built by CMake, not by setuptools' compiler calls."""

    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            # The interpreter running pip (a venv's python) is the one the module is built for.
            "-DPython_EXECUTABLE=" + sys.executable,
            "-DKINDLING_BUILD_PYTHON=ON",
            "-DKINDLING_BUILD_TESTS=OFF",
            "-DKINDLING_BUILD_EXAMPLES=OFF",
            "-DKINDLING_BUILD_BENCH=OFF",
        ] + os.environ.get("KINDLING_CMAKE_ARGS", "").split()
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(configure, check=True)
        subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", "_kindling", "--parallel", jobs],
            check=True,
        )
        built = list((build_dir / "python" / "kindling").glob("_kindling*.so"))
        if len(built) != 1:
            raise RuntimeError("expected one _kindling extension in %s, found %s" % (build_dir, built))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(ext_modules=[CMakeExtension("kindling._kindling")], cmdclass={"build_ext": CMakeBuild})
