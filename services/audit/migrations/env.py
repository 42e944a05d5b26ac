from infohus.kit.migrations import run_env
from services.audit.adapters.orm import metadata

run_env(metadata)
