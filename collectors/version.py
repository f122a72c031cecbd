"""wootwatch's version, read once from the installed package's metadata.

pyproject.toml is the one place the version is written; everything that
names it (`wootwatch --version`, the User-Agent of every HTTP request and
AWS call) reads it from here.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Final

__all__ = ["USER_AGENT", "VERSION"]


def _installed_version() -> str:
    try:
        return version("wootwatch")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


VERSION: Final = _installed_version()
"""The version of the installed wootwatch, e.g. `0.1.0`."""

USER_AGENT: Final = f"wootwatch/{VERSION}"
"""What wootwatch calls itself to every upstream it polls."""
