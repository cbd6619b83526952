"""Reference codes that residents read aloud over the phone or copy from an SMS.

Eight digits, shown as two groups of four (``3817 2054``): digits are what every phone
keyboard and every caller can say without spelling letters. The last digit is a Damm
check digit, so any single wrong digit and any swap of two neighbours is recognised as
a typo rather than matched to someone else's appointment.

Chapter: docs/booking.md#how-booking-stays-correct.
"""

import re
import secrets

LENGTH = 8

# Damm's totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _damm_interim(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def new_reference() -> str:
    """A random code: seven random digits (the first not zero) and a check digit."""
    body = str(secrets.choice("123456789")) + "".join(
        secrets.choice("0123456789") for _ in range(LENGTH - 2)
    )
    return body + str(_damm_interim(body))


def normalize_reference(text: str) -> str | None:
    """The code in ``text`` as typed (spaces, dashes, full-width digits), or None if invalid."""
    compact = re.sub(r"[\s\-_.·]", "", text or "")
    if len(compact) != LENGTH or not compact.isdecimal():
        return None
    digits = "".join(str(int(ch)) for ch in compact)
    return digits if _damm_interim(digits) == 0 else None


def format_reference(code: str) -> str:
    """``38172054`` → ``3817 2054``, the way it is printed and read aloud."""
    return f"{code[:4]} {code[4:]}"
