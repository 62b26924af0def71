"""User text on its way to a terminal: Rich markup and control characters made harmless.

A scenario's name, a bet's, a channel's or a file name can hold escape sequences
(`ESC]0;title BEL` retitles the terminal, `ESC[2J` clears it, others can fake output). Rich's
own `escape` only guards its markup, so `escape` here also shows every control character as a
visible `\\x..` code (tabs and newlines kept) before the text reaches the terminal.
"""

from __future__ import annotations

import re

from rich.markup import escape as _markup_escape

# C0 controls but tab and newline, DEL, C1 controls (0x80-0x9f, e.g. the 8-bit CSI 0x9b), and
# the bidirectional overrides that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control characters shown as `\\x1b`-style codes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def escape(text: str) -> str:
    """User text safe to print through Rich: no markup read into it, no control characters."""
    return _markup_escape(printable(str(text)))
