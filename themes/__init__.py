"""The colour themes of the TUI: Textual `Theme` palettes plus the shared `.tcss`.

Every screen and widget styles itself with theme variables only (`$success`,
`$warning`, `$error`, `$panel`, ...), so a palette here recolours all of it.
The config's `theme` names one of `THEMES`; NO_COLOR is honoured by Textual
itself, and state is never shown by colour alone (badges carry an icon and a
word too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from textual.theme import Theme

__all__ = ["STYLESHEET", "THEMES", "theme_for"]

STYLESHEET: Final = Path(__file__).with_name("wootwatch.tcss")
"""The global stylesheet every screen shares."""

THEMES: Final[dict[str, Theme]] = {
    "dark": Theme(
        name="wootwatch-dark",
        primary="#4FA3E0",
        secondary="#7E8CE0",
        accent="#F0A24F",
        foreground="#D8DEE9",
        background="#12161C",
        surface="#1A2029",
        panel="#232B36",
        success="#5FBF77",
        warning="#E5C15A",
        error="#E0605A",
        dark=True,
    ),
    "light": Theme(
        name="wootwatch-light",
        primary="#1F6FB2",
        secondary="#4B57B0",
        accent="#B8660F",
        foreground="#1E2430",
        background="#F6F7F9",
        surface="#FFFFFF",
        panel="#E3E7ED",
        success="#1E7D3A",
        warning="#8A6A00",
        error="#B3261E",
        dark=False,
    ),
    "high-contrast": Theme(
        name="wootwatch-high-contrast",
        primary="#00B7FF",
        secondary="#FFFFFF",
        accent="#FFD000",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#202020",
        success="#00FF5F",
        warning="#FFD000",
        error="#FF3030",
        dark=True,
    ),
}
"""The palettes by config name (`theme: dark | light | high-contrast`)."""


def theme_for(name: str) -> Theme:
    """The palette a config name picks; unknown names fall back to dark."""
    return THEMES.get(name, THEMES["dark"])
