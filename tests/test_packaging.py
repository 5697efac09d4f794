"""Set-up files agree with each other."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_declares_the_same_runtime_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {_name(d): d.replace(" ", "") for d in project["dependencies"]}
    env_deps = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+[^#]*)$", line)
        if m and not line.strip().startswith("- pip"):
            spec = m.group(1).strip()
            env_deps[_name(spec)] = spec.replace(" ", "")
    env_deps.pop("python", None)
    assert env_deps == deps


def test_required_top_level_exists():
    for name in ("notebooks", "simsrc", "tests", "environment.yml", "README.md"):
        assert (ROOT / name).exists(), name
