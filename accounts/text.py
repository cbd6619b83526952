"""What is kept of the text people type: names, villages and free text.

One place decides it for every form and for the services that take names (the resident's
booking, the desk, the walk-in queue, the demo), so that what is stored and shown is what
the person meant, never text that looks different from what it is:

- Refused, with a message (``TextRefused``): the direction overrides U+202D and U+202E,
  which turn the letters after them around ("txt.exe" shown as "exe.txt") and which no
  keyboard types; and control characters other than white space (escape, bell, DEL, the
  C1 controls), which cannot be shown.
- Dropped silently: the invisible format characters that phones and copying put in by
  accident (zero-width space and joiners, word joiner, byte-order mark, soft hyphen,
  direction marks, and the embeddings U+202A–U+202C and isolates U+2066–U+2069 that a
  phone number or contact copied on a phone often carries), every other format
  character (Unicode category Cf), and the fillers that draw nothing (Hangul fillers,
  the combining grapheme joiner).
- Names and villages (``clean_name``): NFKC (full-width letters and digits from a
  Chinese keyboard become the ordinary ones, the ideographic space a space), every run of
  white space one space, none at either end. One line, no control character at all.
- Free text (``clean_text``): NFC only, so that ①, ㎡ and full-width punctuation stay as
  written; every kind of line break becomes "\\n" (or a space in a one-line field), tabs
  and the ideographic space stay, nothing at either end.

``drop_ignorable`` is the lenient part used for comparing names (booking/conflicts.py):
it never refuses and also drops the variation selectors, which choose how a character is
drawn, not which character it is.

Pure: no database, no request. Known limits: the joiners and the Mongolian vowel
separator also shape some scripts (Arabic-script Uyghur, traditional Mongolian), so
dropping them can change how a letter is drawn, never which letter it is; variation
selectors are kept for display for the same reason (traditional Mongolian needs them).
"""

import unicodedata

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DIRECTION_OVERRIDE = _(
    "This contains a hidden character that turns text around, so it would not be shown "
    "as typed. Please type it again instead of copying it."
)
CONTROL_CHARACTER = _(
    "This contains a control character that cannot be shown. Please type it again "
    "instead of copying it."
)

# Left-to-right and right-to-left override: no one types them by accident.
OVERRIDES = frozenset("\u202d\u202e")
# Letters and marks of the Default_Ignorable_Code_Point property that draw nothing.
FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
VARIATION_SELECTORS = (
    frozenset("\u180b\u180c\u180d\u180f")
    | frozenset(map(chr, range(0xFE00, 0xFE10)))
    | frozenset(map(chr, range(0xE0100, 0xE01F0)))
)
# Line breaks: those of str.splitlines().
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
TAB = "\t"


class TextRefused(ValueError):
    """Typed text that cannot be kept as it is; ``message`` says why, for the person."""

    def __init__(self, message: str | Promise, code: str):
        self.message = message
        self.code = code
        super().__init__(code)


def _refuse(text: str) -> None:
    for char in text:
        if char in OVERRIDES:
            raise TextRefused(DIRECTION_OVERRIDE, "direction_override")
        if unicodedata.category(char) == "Cc" and not char.isspace():
            raise TextRefused(CONTROL_CHARACTER, "control_character")


def _is_invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or char in FILLERS


def drop_invisible(text: str) -> str:
    """``text`` without format characters (Cf, the overrides too) and fillers."""
    return "".join(char for char in text if not _is_invisible(char))


def drop_ignorable(text: str) -> str:
    """``text`` without anything that does not change which characters it shows:
    format characters, fillers and variation selectors. Never refuses."""
    return "".join(
        char for char in text if not (_is_invisible(char) or char in VARIATION_SELECTORS)
    )


def clean_name(value: str) -> str:
    """A name or a village as it is kept: see the module's docstring.

    Raises ``TextRefused``. Idempotent; "" when nothing visible was typed.
    """
    _refuse(value)
    text = drop_invisible(unicodedata.normalize("NFKC", drop_invisible(value)))
    # str.split() splits at every kind of white space, the control characters among it.
    return " ".join(text.split())


def clean_text(value: str, *, multiline: bool = True) -> str:
    """Free text as it is kept: see the module's docstring. ``multiline=False`` for a
    one-line field, where a line break becomes a space.

    Raises ``TextRefused``. Idempotent.
    """
    _refuse(value)
    text = drop_invisible(unicodedata.normalize("NFC", drop_invisible(value)))
    # The only white-space control character that is no line break: the unit separator.
    lines = [line.replace("\x1f", " ") for line in text.splitlines()]
    return ("\n" if multiline else " ").join(lines).strip()
