"""The one base class of failures a person can act on.

Every error whose message is written for a person (a database that cannot be
opened, an alert that is not firing, a log query that does not parse, an
export that could not be written) derives from `ActionableError`. The
store's own `StoreError` lives here too, so that the modules that open or
lock a database file need not import the store. The command line prints
such an error as one line and exits 1; it never shows a traceback for one.
Anything else that escapes a command is a bug.
"""

from __future__ import annotations

__all__ = ["ActionableError", "StoreError"]


class ActionableError(Exception):
    """A failure a person can act on; its message is one line fit to print."""


class StoreError(ActionableError):
    """A store problem a person can act on, with a one-line message."""
