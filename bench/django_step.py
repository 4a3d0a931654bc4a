"""Set-up shared by the bench steps that run inside Django (python -m bench.<step>)."""

import json
import os
import sys


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubsite.settings")
    import django

    django.setup()


def emit(result) -> None:
    """Hand a step's result to bench/main.py: one JSON line on stdout."""
    sys.stdout.write("BENCH_RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()
