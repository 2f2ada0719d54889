"""The project's set-up files agree with each other."""

import re
import subprocess
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = (ROOT / "environment.yml").read_text()
    pip_section = env.split("- pip:", 1)[1]
    listed = {line.strip()[2:].strip() for line in pip_section.splitlines()
              if line.strip().startswith("- ") and not line.strip().startswith("- -e")}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    python = re.search(r"- python(.*)", env).group(1).strip()
    assert python == project["requires-python"]


def test_gpu_extra_is_tensorflows_cuda_build_at_the_same_version():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = next(Requirement(r) for r in project["dependencies"] if _name(r) == "tensorflow")
    (gpu,) = (Requirement(r) for r in project["optional-dependencies"]["gpu"])
    assert gpu.name == "tensorflow" and gpu.extras == {"and-cuda"}
    assert gpu.specifier == base.specifier
    # CUDA builds of TensorFlow exist for Linux (and WSL2) only.
    assert gpu.marker.evaluate({"sys_platform": "linux"})
    assert not gpu.marker.evaluate({"sys_platform": "darwin"})
    assert not gpu.marker.evaluate({"sys_platform": "win32"})
    # environment.yml users get the same choice, spelled out.
    assert 'pip install -e ".[gpu]"' in (ROOT / "environment.yml").read_text()


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^\s*(make \w+)\s*$", quick_start, re.M)
    assert commands == ["make lab", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_gpu_times_say_whether_measured_and_link_the_gpu_guide():
    readme = (ROOT / "README.md").read_text()
    assert "(docs/gpu.md)" in readme and (ROOT / "docs" / "gpu.md").is_file()
    course_map = readme.split("## Course map", 1)[1].split("\n\n", 2)[1]
    header, _, *rows = [line.strip("|").split("|") for line in course_map.splitlines()]
    column = [cell.strip() for cell in header].index("GPU (full)")
    assert rows, "the course map has no lessons"
    for row in rows:
        gpu_time = row[column]
        assert "estimate" in gpu_time or "measured" in gpu_time, (
            f"{row[0].strip()}: GPU time {gpu_time!r} must say 'estimate' until a GPU run "
            "measures it (then 'measured' and the GPU's name)")


def _committed_files():
    """The repository's files: what git tracks, or every non-hidden file outside git."""
    try:
        listing = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.split()
        return [ROOT / name for name in listing]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if p.is_file() and not any(
            part.startswith(".") or part == "runs" for part in p.relative_to(ROOT).parts)]


def test_no_absolute_machine_paths_in_the_repository():
    pattern = re.compile(r"(/work/|/home/\w+|/root/|C:\\\\Users)")
    offenders = [str(p.relative_to(ROOT)) for p in _committed_files()
                 if p.suffix in {".py", ".ipynb", ".md", ".toml", ".yml", ""} and p.is_file()
                 and p.resolve() != Path(__file__).resolve()  # this file names the patterns
                 and pattern.search(p.read_text(errors="ignore"))]
    assert not offenders
