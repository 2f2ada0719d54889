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


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^\s*(make \w+)\s*$", quick_start, re.M)
    assert commands == ["make lab", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


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
