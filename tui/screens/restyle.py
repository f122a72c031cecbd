"""Whether a screen coming back into view needs Textual's full restyle.

`App.switch_mode` asks the screen it shows to re-apply the whole stylesheet to
every one of its nodes (`ScreenResume.refresh_styles`): on a wootwatch screen
most of the time between a key press and the new frame. Nearly always the
nodes already have those styles:

* a node's classes and pseudo-classes (focus, hover, disabled, first-child…)
  restyle it and its children at once, on a suspended screen too
  (`App.update_styles`), and suspending a screen clears its hover;
* a theme or stylesheet change is caught by `switch_mode` itself, which
  refreshes the CSS of a screen older than the app's before it resumes.

What is not caught: the app's own state that a selector can read
(`App:blur HeaderTitle`, `App.-dark-mode …`), its classes and pseudo-classes,
which Textual restyles on the screen on view only. `AwayStyles` remembers them
when the screen leaves the view and notes any move of the app's focus while it
is away; when nothing moved, the screen's resume skips the restyle.
"""

from __future__ import annotations

from textual.app import App

__all__ = ["AwayStyles"]

AppState = tuple[frozenset[str], frozenset[str]]
"""An app's classes and pseudo-classes: what a selector can read of the app."""


def _app_state(app: App[object]) -> AppState:
    return frozenset(app.classes), frozenset(app.get_pseudo_classes())


class AwayStyles:
    """What a screen's styles were computed against when it left the view.

    Args:
        app: the app, as the screen leaves the view (`ScreenSuspend`).
    """

    __slots__ = ("app_moved", "left_with")

    def __init__(self, app: App[object]) -> None:
        self.left_with = _app_state(app)
        """The app's state when the screen left the view."""
        self.app_moved = False
        """Whether the app's focus moved while the screen was away (set by the screen)."""

    def still_styled(self, app: App[object]) -> bool:
        """Whether, coming back into view, the screen's styles are still right as they are."""
        return not self.app_moved and self.left_with == _app_state(app)
