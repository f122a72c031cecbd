"""Make untrusted text inert: nothing from an upstream may steer a terminal or a file.

Log lines, customer names and error texts come from systems we do not
control. Before any of it reaches a terminal or an exported file, control
characters become visible Control Pictures (ESC becomes `␛`, so `ESC[2J` shows
as `␛[2J` instead of clearing the screen), C1 controls and bidirectional
overrides become `�`. Rich markup is a separate concern of the widgets, which
draw text as `rich.text.Text`, never as markup.
"""

from __future__ import annotations

__all__ = ["inert"]

_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_TABLE[0x7F] = "\u2421"
_TABLE.update({code: "\ufffd" for code in range(0x80, 0xA0)})
_TABLE.update({ord(char): "\ufffd" for char in _BIDI_CONTROLS})
_TABLE[ord("\t")] = " "


def inert(text: str, *, keep_newlines: bool = False) -> str:
    r"""Return `text` with every control character replaced by a visible, harmless one.

    Args:
        text: untrusted text.
        keep_newlines: keep `\\n` (for multi-line blocks such as a fenced log
            excerpt); otherwise it becomes `␊` so one record stays one line.
    """
    cleaned = text.translate(_TABLE)
    if keep_newlines:
        cleaned = cleaned.replace("\u240a", "\n")
    return cleaned
