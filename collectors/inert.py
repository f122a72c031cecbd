"""Make untrusted text inert: nothing from an upstream may steer a terminal or a file.

Log lines, customer names and error texts come from systems we do not
control. Before any of it reaches a terminal or an exported file, every
character that acts instead of showing becomes a visible, harmless one:

* C0 controls become Control Pictures (ESC becomes `␛`, so `ESC[2J` shows as
  `␛[2J` instead of clearing the screen; a newline `␊`), DEL becomes `␡` and
  a tab a space;
* the line and paragraph separators (U+2028, U+2029), at which some
  renderers break lines, become `␤`;
* C1 controls, format characters (Unicode category Cf: zero-width spaces
  and joiners, bidirectional overrides, the BOM, soft hyphens, the invisible
  tag characters U+E0000–U+E007F), private-use characters and lone
  surrogates become `�`.

Every replacement is one character for one, so offsets into the text (search
matches, styles) stay where they were. Rich markup is a separate concern of
the widgets, which draw text as `rich.text.Text`, never as markup.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["UNSAFE_RANGES", "inert"]

UNSAFE_RANGES: Final = (
    (0x00, 0x1F),  # C0 controls
    (0x7F, 0x9F),  # DEL and C1 controls
    (0xAD, 0xAD),  # soft hyphen (Cf, as every range below up to the private-use areas)
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),  # zero-width space, joiners, direction marks
    (0x2028, 0x202E),  # line and paragraph separators (Zl, Zp), bidirectional embeddings
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),  # byte order mark, zero-width no-break space
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F),  # tag characters
    (0xD800, 0xDFFF),  # surrogates (Cs)
    (0xE000, 0xF8FF),  # private use (Co)
    (0xF0000, 0x10FFFF),  # supplementary private use areas (Co) and what follows them
)
"""Code points (inclusive ranges) that never reach a screen or a file as themselves:
categories Cc, Cf, Zl, Zp, Cs and Co. Hard-coded because scanning Unicode takes
seconds; a test checks it against the running Python's `unicodedata`."""

_SEPARATOR: Final = "\u2424"
_REPLACEMENT: Final = "\ufffd"

_ASCII: Final[dict[int, str]] = {code: chr(0x2400 + code) for code in range(0x20)}
_ASCII[0x7F] = "\u2421"
_ASCII[ord("\t")] = " "
_ASCII_LINES: Final = {**_ASCII, ord("\n"): "\n"}
_OTHER: Final[dict[str, str]] = {chr(code): swap for code, swap in _ASCII.items()}
_OTHER.update({"\u2028": _SEPARATOR, "\u2029": _SEPARATOR})
_OTHER_LINES: Final = {**_OTHER, "\n": "\n"}
_UNSAFE: Final = re.compile(
    "[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in UNSAFE_RANGES) + "]"
)


def _swap(match: re.Match[str]) -> str:
    return _OTHER.get(match.group(), _REPLACEMENT)


def _swap_keeping_lines(match: re.Match[str]) -> str:
    return _OTHER_LINES.get(match.group(), _REPLACEMENT)


def inert(text: str, *, keep_newlines: bool = False) -> str:
    r"""Return `text` with every control and invisible character replaced by a visible one.

    The result has as many characters as `text`, each in the same place.

    Args:
        text: untrusted text.
        keep_newlines: keep `\\n` (for multi-line blocks such as a fenced log
            excerpt); otherwise it becomes `␊` so one record stays one line.
    """
    if text.isascii():
        return text.translate(_ASCII_LINES if keep_newlines else _ASCII)
    return _UNSAFE.sub(_swap_keeping_lines if keep_newlines else _swap, text)
