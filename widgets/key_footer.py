"""The footer: the app's own keys first (`?` keys, `q` quit, `1-7` screens), then the screen's.

Textual's `Footer` lists the focused widget's keys, then the screen's, then
the app's, so at 80 columns `?` and `q` fell off the right edge. `KeyFooter`
puts the app's shown keys first, so the way to the key reference and the way
out are always on view; the screen's keys follow as far as the width allows.
Bindings of one `Binding.Group` show as one item (`1234567 Screens`).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """A `Footer` that shows the app's keys before the screen's."""

    def compose(self) -> ComposeResult:
        """One item per action: the app's first, groups as one item."""
        if not self._bindings_ready:
            return
        active = list(self.screen.active_bindings.values())
        ordered = [b for b in active if b.node is self.app] + [
            b for b in active if b.node is not self.app
        ]
        shown = _one_per_action(b for b in ordered if b.binding.show)
        self.styles.grid_size_columns = len(shown)
        for group, members in groupby(shown, lambda b: b.binding.group):
            items = list(members)
            if group is not None and len(items) > 1:
                with KeyGroup(classes="-compact" if group.compact else ""):
                    for item in items:
                        yield self._key(item, "", classes="-grouped")
                yield FooterLabel(group.description)
            else:
                for item in items:
                    yield self._key(item, item.binding.description)

    def _key(self, item: ActiveBinding, description: str, classes: str = "") -> FooterKey:
        binding: Binding = item.binding
        return FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            description,
            binding.action,
            disabled=not item.enabled,
            tooltip=item.tooltip or ("" if description else binding.description),
            classes=classes,
        ).data_bind(compact=Footer.compact)


def _one_per_action(bindings: Iterable[ActiveBinding]) -> list[ActiveBinding]:
    seen: set[str] = set()
    kept = []
    for item in bindings:
        if item.binding.action not in seen:
            seen.add(item.binding.action)
            kept.append(item)
    return kept
