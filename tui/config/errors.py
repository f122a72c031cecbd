"""What is wrong with a config file, and where.

Contract:

* A `ConfigProblem` is one user error at a 1-based line and column, printed as
  `FILE:LINE:COL: message`. Its message is one line of plain English and never
  holds a secret or an environment value; the code that words it sees to that.
* A `ConfigError` holds every problem found in one file, de-duplicated and
  sorted by position; its text is their lines joined. It is the only exception
  a bad config file raises.
* `problem_at` and `syntax_problem` turn PyYAML's 0-based marks and syntax
  errors into problems; they build problems and do nothing else.

Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml

__all__ = ["ConfigError", "ConfigProblem", "problem_at", "syntax_problem"]


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file, at a 1-based line and column."""

    path: str
    """The config file as the user named it."""
    line: int
    column: int
    message: str
    """One line of plain English; never a secret or an environment value."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ConfigError(Exception):
    """The config cannot be used; `problems` lists everything wrong, sorted by position.

    Args:
        problems: what was found; sorted and de-duplicated here.
    """

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        unique = set(problems)
        self.problems: list[ConfigProblem] = sorted(
            unique, key=lambda p: (p.path, p.line, p.column, p.message)
        )
        super().__init__("\n".join(str(problem) for problem in self.problems))


def problem_at(path: str, mark: yaml.Mark, message: str) -> ConfigProblem:
    """A problem at a PyYAML mark.

    Args:
        path: the config file as the user named it.
        mark: where in the file; PyYAML counts lines and columns from 0.
        message: what is wrong there.

    Returns:
        The problem, at the mark's 1-based line and column.
    """
    return ConfigProblem(path, mark.line + 1, mark.column + 1, message)


def syntax_problem(path: str, exc: yaml.MarkedYAMLError) -> ConfigProblem:
    """The problem for a YAML syntax error, worded for someone editing the file.

    Args:
        path: the config file as the user named it.
        exc: what PyYAML raised while composing the document.

    Returns:
        An `invalid YAML: ...` problem where the error was found (or at 1:1
        when PyYAML gave no position), with a hint when tabs are to blame.
    """
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or "cannot parse this").strip()
    context = (exc.context or "").strip()
    if context and not context.startswith("while"):
        # e.g. "expected a single document in the stream, but found another document"
        message = f"{context}, {problem}"
    elif context and exc.context_mark is not None and exc.context_mark is not mark:
        message = f"{problem} ({context} that starts at line {exc.context_mark.line + 1})"
    else:
        message = problem
    if "'\\t'" in problem:
        message += "; indent with spaces, not tabs"
    if mark is None:
        return ConfigProblem(path, 1, 1, f"invalid YAML: {message}")
    return problem_at(path, mark, f"invalid YAML: {message}")
