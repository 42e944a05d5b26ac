from infohus.kit.migrations import run_env
from services.routing.adapters.orm import metadata

run_env(metadata)
