"""Static checks of deploy/docker/Dockerfile and .dockerignore (no container engine needed).

The intake web form serves Det Fælles Designsystem from services/intake/web/node_modules
(``IntakeSettings.web_assets_dir``): the image must get it from a clean ``npm ci`` of the lock file,
never from a work tree's node_modules.
"""

from __future__ import annotations

import re
from pathlib import Path

from infohus.devstack.supervisor import SERVICE_PROCESS_ENVIRONMENT, service_environment
from services.intake.settings import IntakeSettings
from tests.deploy.test_k8s_policies import REPO_ROOT

DOCKERFILE = REPO_ROOT / "deploy" / "docker" / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
WEB = "services/intake/web"


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


def test_the_web_assets_come_from_npm_ci_of_the_lock_file() -> None:
    stages = _stages()
    npm = [(name, body) for name, body in stages if any("npm ci" in i for i in body)]
    assert len(npm) == 1, "one stage runs npm ci"
    name, body = npm[0]
    run = next(i for i in body if "npm ci" in i)
    assert "--omit=dev" in run and f"--prefix {WEB}" in run
    copied = " ".join(i for i in body if i.upper().startswith("COPY "))
    assert f"{WEB}/package.json" in copied and f"{WEB}/package-lock.json" in copied
    assert (REPO_ROOT / WEB / "package-lock.json").is_file()
    # Only node_modules reaches the runtime (the last stage), where the intake settings look for it.
    runtime_name, runtime = stages[-1]
    assert runtime_name != name
    expected = "/app/" + IntakeSettings.model_fields["web_assets_dir"].default.relative_to(REPO_ROOT).as_posix()
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


def test_intake_reads_the_assets_from_its_own_directory() -> None:
    default = IntakeSettings.model_fields["web_assets_dir"].default
    assert isinstance(default, Path) and default == REPO_ROOT / WEB / "node_modules"


def test_the_image_runs_services_with_the_process_environment_of_the_local_stack() -> None:
    """MALLOC_ARENA_MAX and the like: the same in the image (Kubernetes) as in make run, bench and chaos."""
    runtime = _stages()[-1][1]
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(i[4:] for i in runtime if i.upper().startswith("ENV "))))
    assert SERVICE_PROCESS_ENVIRONMENT == {"MALLOC_ARENA_MAX": "2"}
    for name, value in SERVICE_PROCESS_ENVIRONMENT.items():
        assert env.get(name) == value, name
        assert service_environment("routing", REPO_ROOT / "data", "127.0.0.1:9092")[name] == value
