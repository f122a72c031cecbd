"""The footer: the app's own keys first (`?` keys, `q` quit, `1-7` screens), then the screen's.

Textual's `Footer` lists the focused widget's keys, then the screen's, then
the app's, so at 80 columns `?` and `q` fell off the right edge. `KeyFooter`
puts the app's shown keys first, so the way to the key reference and the way
out are always on view; the screen's keys follow as far as the width allows.
Bindings of one `Binding.Group` show as one item (`1234567 Screens`).
Items that do not fit whole are hidden and the line ends with `…`, so a cut
is never mistaken for the last key (`a` alone at 80 columns).

Textual's `Footer` composes its keys again whenever the screen's bindings
may have changed, which is on every switch back to a screen (a fifth of a
switch's time, each key's styles applied anew); `KeyFooter` does so only when
the keys it would show differ from the ones on view.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Label
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

__all__ = ["KeyFooter"]


_Shown = tuple[tuple[str, str, str, bool, str, str | None], ...]
"""What the footer shows: key, description, action, enabled, tooltip, group of each item."""


class KeyFooter(Footer):
    """A `Footer` that shows the app's keys before the screen's, and `…` when it cuts some."""

    DEFAULT_CSS = """
    KeyFooter > #footer-cut {
        display: none;
        color: $footer-description-foreground;
    }
    """

    _on_view: _Shown | None = None

    def _shown(self, screen: Screen[object]) -> list[ActiveBinding]:
        active = list(screen.active_bindings.values())
        ordered = [b for b in active if b.node is self.app] + [
            b for b in active if b.node is not self.app
        ]
        return _one_per_action(b for b in ordered if b.binding.show)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Compose again only if the keys to show changed."""
        if self._bindings_ready and self._on_view == _summary(self._shown(screen)):
            return
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        """One item per action: the app's first, groups as one item."""
        if not self._bindings_ready:
            return
        shown = self._shown(self.screen)
        self._on_view = _summary(shown)
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
        yield Label("…", id="footer-cut")

    async def recompose(self) -> None:
        """Compose again, then cut what does not fit."""
        await super().recompose()
        self._fit_later()

    def on_resize(self) -> None:
        """Measure the items again at the new width."""
        self._fit_later()

    def _fit_later(self) -> None:
        for child in self.children:
            child.display = child.id != "footer-cut"
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Hide the items that do not fit whole, and show `…` after the last one kept."""
        items = [child for child in self.children if child.id != "footer-cut"]
        left, width = self.region.x, self.size.width
        ends = [child.region.right - left for child in items]
        if not items or max(ends) <= width:
            return
        kept = sum(1 for end in ends if end <= width - 1)  # a prefix: one row, left to right
        if kept and isinstance(items[kept - 1], KeyGroup):  # a group without its label
            kept -= 1
        for child in items[kept:]:
            child.display = False
        self.query_one("#footer-cut", Widget).display = True

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


def _summary(shown: Iterable[ActiveBinding]) -> _Shown:
    return tuple(
        (
            b.binding.key,
            b.binding.description,
            b.binding.action,
            b.enabled,
            b.tooltip,
            None if b.binding.group is None else b.binding.group.description,
        )
        for b in shown
    )


def _one_per_action(bindings: Iterable[ActiveBinding]) -> list[ActiveBinding]:
    seen: set[str] = set()
    kept = []
    for item in bindings:
        if item.binding.action not in seen:
            seen.add(item.binding.action)
            kept.append(item)
    return kept
