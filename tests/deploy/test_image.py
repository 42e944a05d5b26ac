"""Static checks of deploy/docker/Dockerfile and .dockerignore (no container engine needed).

The intake web form and the staff workspace serve Det Fælles Designsystem from their own
``web/node_modules`` (``IntakeSettings.web_assets_dir``, ``WorkspaceSettings.web_assets_dir``): the
image must get each from a clean ``npm ci`` of its lock file, never from a work tree's node_modules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from devtools.devstack.supervisor import SERVICE_PROCESS_ENVIRONMENT, service_environment
from services.intake.settings import IntakeSettings
from services.workspace.settings import WorkspaceSettings
from tests.deploy.test_k8s_policies import REPO_ROOT

DOCKERFILE = REPO_ROOT / "deploy" / "docker" / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
# Each web front end: its npm package directory and the settings that serve it.
WEBS: dict[str, type[BaseSettings]] = {
    "services/intake/web": IntakeSettings,
    "services/workspace/web": WorkspaceSettings,
}


def _instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    lines = [line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    return [i.strip() for i in re.sub(r"\\\n\s*", " ", "\n".join(lines)).splitlines() if i.strip()]


def _stages() -> list[tuple[str, list[str]]]:
    stages: list[tuple[str, list[str]]] = []
    for instruction in _instructions():
        if instruction.upper().startswith("FROM "):
            match = re.search(r"\sAS\s+(\S+)", instruction, re.I)
            stages.append((match.group(1) if match else str(len(stages)), []))
        elif stages:
            stages[-1][1].append(instruction)
    return stages


def _npm_ci_commands(run: str) -> list[str]:
    """The ``npm ci ...`` commands of a RUN instruction (commands joined with && or ;)."""
    return [c[c.index("npm ci"):].strip() for c in re.split(r"&&|;", run) if "npm ci" in c]


@pytest.mark.parametrize("web", sorted(WEBS))
def test_the_web_assets_come_from_npm_ci_of_the_lock_file(web: str) -> None:
    stages = _stages()
    npm = [(name, body) for name, body in stages if any("npm ci" in i for i in body)]
    assert len(npm) == 1, "one stage runs npm ci"
    name, body = npm[0]
    commands = [c for i in body if i.upper().startswith("RUN ") for c in _npm_ci_commands(i)]
    mine = [c for c in commands if re.search(rf"--prefix {re.escape(web)}(\s|$)", c)]
    assert len(mine) == 1, f"{web}: {commands}"
    assert "--omit=dev" in mine[0]
    copied = " ".join(i for i in body if i.upper().startswith("COPY "))
    assert f"{web}/package.json" in copied and f"{web}/package-lock.json" in copied
    assert (REPO_ROOT / web / "package-lock.json").is_file()
    # Only node_modules reaches the runtime (the last stage), where the app's settings look for it.
    runtime_name, runtime = stages[-1]
    assert runtime_name != name
    default = WEBS[web].model_fields["web_assets_dir"].default
    assert default == REPO_ROOT / web / "node_modules", f"{web}: the settings read the assets elsewhere"
    expected = "/app/" + default.relative_to(REPO_ROOT).as_posix()
    copies = [i.split() for i in runtime if i.upper().startswith(f"COPY --FROM={name.upper()} ")]
    assert any(parts[-1].rstrip("/") == expected and parts[-2].rstrip("/") == expected for parts in copies), copies
    assert not any("npm" in i for i in runtime), "no npm in the runtime image"


def test_the_build_context_leaves_node_modules_out() -> None:
    rules = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert "**/node_modules/" in rules
    # .dockerignore: the last matching rule wins, so the exclusion must follow the !services/ inclusion.
    assert rules.index("**/node_modules/") > rules.index("!services/")
    assert not any(rule.startswith("!") and "node_modules" in rule for rule in rules)


@pytest.mark.parametrize("web", sorted(WEBS))
def test_each_app_reads_the_assets_from_its_own_directory(web: str) -> None:
    default = WEBS[web].model_fields["web_assets_dir"].default
    assert isinstance(default, Path) and default == REPO_ROOT / web / "node_modules"


def test_the_image_runs_services_with_the_process_environment_of_the_local_stack() -> None:
    """MALLOC_ARENA_MAX and the like: the same in the image (Kubernetes) as in make run, bench and chaos."""
    runtime = _stages()[-1][1]
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(i[4:] for i in runtime if i.upper().startswith("ENV "))))
    assert SERVICE_PROCESS_ENVIRONMENT == {"MALLOC_ARENA_MAX": "2"}
    for name, value in SERVICE_PROCESS_ENVIRONMENT.items():
        assert env.get(name) == value, name
        assert service_environment("routing", REPO_ROOT / "data", "127.0.0.1:9092")[name] == value


def _uv_sync_commands() -> list[str]:
    runs = [i for _, body in _stages() for i in body if i.upper().startswith("RUN ")]
    return [c.strip() for run in runs for c in re.split(r"&&|;", run) if "uv sync" in c]


def test_the_image_installs_no_dependency_group() -> None:
    """Neither the tests' and linters' (dev) nor the local stack's and development login's (devtools):
    `--no-dev` alone would still install the devtools group, which is one of uv's default groups."""
    commands = _uv_sync_commands()
    assert len(commands) == 2, commands  # the third-party layer, then the project
    for command in commands:
        flags = command.split()
        assert "--frozen" in flags and "--no-default-groups" in flags, command
        assert not any(f.startswith(("--group", "--all-groups", "--only-group", "--extra", "--all-extras"))
                       for f in flags), command


def test_the_image_copies_no_development_tooling() -> None:
    copied = [part for _, body in _stages() for i in body if i.upper().startswith("COPY ")
              for part in i.split()[1:-1] if not part.startswith("--")]
    assert {"infohus", "contracts", "rules", "services"} <= set(copied)
    assert not any(part.split("/")[0] in {"devtools", "tests", "."} for part in copied), copied
    rules = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*" and not any(rule.startswith(("!devtools", "!tests")) for rule in rules)
    # the runtime stage takes the builder's /app, so nothing else may end up there
    assert not any("devtools" in i for _, body in _stages() for i in body if not i.upper().startswith("LABEL "))
