import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_by_default():
    """Services word their messages in the active language; a Korean page test must not leak it."""
    with translation.override("en"):
        yield
