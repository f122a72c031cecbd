"""One parse of each stylesheet per test process, not one per app the tests start.

Textual parses the app's CSS and every widget's DEFAULT_CSS into rule sets
once per `App`, keeping them in a cache that lives on that app's `Stylesheet`.
The product starts one app a process; the suite starts about two hundred, and
parsing the same CSS again was about a tenth of every pilot test's CPU. The
cache here is the same cache made process-wide: it is keyed on everything a
parse reads (the CSS, where it came from, its scope and the theme's variables),
and rules are only ever read once parsed, so a test sees what a fresh parse
would give. Invalid CSS is not kept: it raises as before.
"""

from __future__ import annotations

import functools
from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

_parsed: dict[tuple[Any, ...], list[RuleSet]] = {}


def share_parsed_stylesheets() -> None:
    """Make every `Stylesheet` of this process reuse the rules another one parsed."""
    parse_rules = Stylesheet._parse_rules
    if getattr(parse_rules, "shared", False):
        return

    @functools.wraps(parse_rules)
    def shared(self: Stylesheet, *args: Any, **kwargs: Any) -> list[RuleSet]:
        key = (args, tuple(sorted(kwargs.items())), tuple(sorted(self._variables.items())))
        rules = _parsed.get(key)
        if rules is None:
            rules = parse_rules(self, *args, **kwargs)
            if not any(rule.errors for rule in rules):
                _parsed[key] = rules
        return rules

    shared.shared = True  # type: ignore[attr-defined]
    Stylesheet._parse_rules = shared  # type: ignore[method-assign]
