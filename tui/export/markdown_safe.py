r"""Put untrusted text into a markdown document so that it stays text.

Everything an export shows from an upstream (names, labels, log lines, alert
summaries, notes) goes through one of these functions:

* `inline` for running text and table cells: control characters and escape
  sequences become visible symbols (`collectors.inert`), newlines become `␊`,
  and every character markdown would act on is backslash-escaped: emphasis,
  code spans, raw HTML (`<script>` shows as text), link and image syntax
  (`[x](javascript:...)` shows as text), table pipes, entities, math, and the
  parts of bare URLs, domains, e-mail addresses and @mentions that renderers
  turn into links on their own (`https://a.example` shows as text, unlinked).
* `cell` is `inline` shortened to a table cell's length.
* `fenced` puts lines in a code block whose fence is longer than any backtick
  run inside, so no line can close it; the lines are made inert but keep
  their line breaks.

Only ASCII punctuation is escaped, and CommonMark renders every `\x` of it as
`x`: the rendered text reads as the upstream sent it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from collectors.inert import inert

__all__ = ["cell", "fenced", "inline"]

CELL_LIMIT: Final = 240
"""Characters of upstream text kept in one table cell."""

_ALWAYS = re.compile(r"([\\`*_\[\]<>|&#~$@!])")
"""Characters escaped wherever they are: markdown syntax, HTML, mentions, math."""
_LINKISH = re.compile(r"(?<=\w)\.(?=[^\W\d_])|:(?=/)")
"""A dot between a word and a letter (a domain) and the colon of `scheme:/`."""
_BLOCK_START = re.compile(r"^(\s*)([-+]|\d{1,9}(?=[.)](?:\s|$)))")
"""What would start a list item or a numbered one at the start of a line."""
_BACKTICKS = re.compile(r"`+")


def inline(text: str) -> str:
    """Untrusted text as inert markdown that renders exactly as the text reads.

    The result is one line (no newline survives) that can go in a paragraph,
    a list item or a table cell.
    """
    flat = inert(text)
    escaped = _LINKISH.sub(lambda m: "\\" + m.group(0), _ALWAYS.sub(r"\\\1", flat))
    return _BLOCK_START.sub(_escape_block_start, escaped)


def _escape_block_start(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    # A bullet is escaped itself; a number by the `.` or `)` after it.
    return f"{indent}\\{marker}" if marker in "-+" else f"{indent}{marker}\\"


def cell(text: str, limit: int = CELL_LIMIT) -> str:
    """Untrusted text for one table cell: `inline`, cut to `limit` characters."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return inline(text)


def fenced(lines: Iterable[str], info: str = "text") -> str:
    """A fenced code block of untrusted lines that nothing inside can close.

    Each line is made inert (control characters and escape sequences shown
    as symbols), a line holding a newline is split at it, and the fence is
    one backtick longer than the longest backtick run inside (at least three).
    """
    body = "\n".join(inert(line, keep_newlines=True) for line in lines)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}" if body else f"{fence}{info}\n{fence}"
