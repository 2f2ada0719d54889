"""The project's set-up files agree with each other."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = (ROOT / "environment.yml").read_text()
    pip_lines = {line.strip()[2:].strip() for line in env.splitlines()
                 if line.strip().startswith("- ") and not line.strip().startswith("- pip:")}
    listed = {line for line in pip_lines if _name(line) not in {"python", "pip", "-e"}
              and not line.startswith("-e")}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    python = re.search(r"- python(.*)", env).group(1).strip()
    assert python == project["requires-python"]


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^\s*(make \w+)\s*$", quick_start, re.M)
    assert commands == ["make lab", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_no_absolute_machine_paths_in_the_repository():
    pattern = re.compile(r"(/work/|/home/\w+|/root/|C:\\\\Users)")
    offenders = []
    for path in ROOT.rglob("*"):
        if any(part in {".venv", ".git", "runs", "__pycache__"} or part.endswith(".egg-info")
               for part in path.relative_to(ROOT).parts):
            continue
        text_file = path.is_file() and path.suffix in {".py", ".ipynb", ".md", ".toml", ".yml", ""}
        if text_file and pattern.search(path.read_text(errors="ignore")):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
