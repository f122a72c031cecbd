"""A part of a screen that reads the store on every refresh and draws what it read.

Each panel splits its work in two: `gather` (async, reads the store through
a `StoreReader`, returns plain data) and `present` (draws that data into the
panel's widgets). The screen on view first reads every panel, then presents
them all in one batch, so a refresh is one frame on the terminal, and:

* a failing panel shows its error inside its own border and the rest of the
  screen goes on refreshing (the next refresh tries again);
* `present` runs only when the gathered data differs from the last drawn, so
  a chart whose data has not changed is not redrawn and sends nothing to the
  terminal;
* with nothing written since the screen's last read, a panel that says
  what in it moves with time alone (`tick`) redraws that, reading nothing;
* a panel not mounted yet reads nothing and shows nothing: a screen is on
  view (`App.switch_mode`) before its panels have composed their widgets,
  and a refresh in that moment would not find them. The next refresh reads it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from collectors.inert import inert
from tui.data.reader import StoreReader

__all__ = ["LivePanel", "PanelRead"]

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PanelRead(Generic[T]):
    """What one panel read: its data, or the one-line error it failed with."""

    data: T | None = None
    error: str | None = None
    skipped: bool = False
    """The panel was not mounted yet: nothing read, nothing to show."""


class LivePanel(Vertical, Generic[T]):
    """A bordered panel that refreshes itself from the store.

    Subclasses implement `gather` and `present`, and compose their widgets
    with `compose_body`.

    Args:
        title: the border title.
    """

    def __init__(
        self,
        title: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = title
        self._drawn: T | None = None
        self._has_drawn = False
        self._failed = False
        self.turn = asyncio.Lock()
        """Held from a read until its data is shown: a panel's own reload and the
        screen's refresh take turns, so a stale read is never shown over a newer one."""

    def compose(self) -> ComposeResult:
        """The panel's widgets, then a hidden line for its error."""
        yield from self.compose_body()
        error = Static("", classes="panel-error", markup=False)
        error.display = False
        yield error

    def compose_body(self) -> ComposeResult:
        """The widgets the panel draws into."""
        yield from ()

    async def gather(self, reader: StoreReader) -> T:
        """Read what the panel shows from the store (runs on every refresh)."""
        raise NotImplementedError

    def present(self, data: T) -> None:
        """Draw `data` (called only when it differs from the last drawn)."""
        raise NotImplementedError

    async def read(self, reader: StoreReader) -> PanelRead[T]:
        """Gather, keeping a failure for `show` instead of raising it (skipped until mounted)."""
        if not self.is_mounted:
            return PanelRead(skipped=True)
        try:
            return PanelRead(data=await self.gather(reader))
        except Exception as exc:
            log.exception("panel %s failed", type(self).__name__)
            return PanelRead(error=f"⚠ this panel failed: {type(exc).__name__}: {exc}")

    def show(self, read: PanelRead[T]) -> None:
        """Present what `read` returned if it changed, or its error, inside the panel."""
        if read.skipped:
            return
        if read.error is not None:
            self._show_error(read.error)
            return
        data = cast(T, read.data)
        if self._has_drawn and not self._failed and data == self._drawn:
            return
        try:
            self.present(data)
        except Exception as exc:
            log.exception("panel %s failed", type(self).__name__)
            self._show_error(f"⚠ this panel failed: {type(exc).__name__}: {exc}")
            return
        self._drawn, self._has_drawn = data, True
        if self._failed:
            self._failed = False
            self.query_one(".panel-error", Static).display = False

    def tick(self, now: float) -> bool:
        """Redraw what moves with time alone (`now`) from the data last drawn; no read.

        The screen calls it instead of a read when nothing was written since its
        last one (`LiveScreen.refresh_from`).

        Returns:
            False when the panel must be read instead: the default, so a panel
            says what in it moves with time before a read is spared.
        """
        return False

    async def refresh_from(self, reader: StoreReader) -> None:
        """Read and show at once (a panel's own reload; the screen batches its panels)."""
        async with self.turn:
            self.show(await self.read(reader))

    def _show_error(self, text: str) -> None:
        self._failed = True
        error = self.query_one(".panel-error", Static)
        error.update(inert(text))
        error.display = True
