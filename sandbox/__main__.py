"""``python -m sandbox serve ...`` — the sandbox CLI without the main ``integrations`` CLI."""

from .cli import sandbox

sandbox(prog_name="python -m sandbox")
