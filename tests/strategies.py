"""Hypothesis strategies for bad input: what people, browsers and robots may send.

Values are strings, as they arrive in a query string or a form post. Each strategy mixes
hand-picked nasty values (which a few dozen examples would rarely hit by chance: year 1
and 9999, February 30, NUL, right-to-left marks, full-width digits, integers beyond 64
bits) with generated ones. Surrogates are left out: a browser cannot send them (UTF-8
has no encoding for them), and the test client cannot either.
"""

import string

from hypothesis import strategies as st

# A field left out of the form altogether (not the same as an empty one).
MISSING = object()

CHARACTERS = st.characters(exclude_categories=("Cs",))

NASTY_TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\x1b[31m\x07",
    "\u202ename\u202c",  # right-to-left override
    "\u200f\u200e\u200b",  # RTL and LTR marks, zero-width space
    "\ufeff",
    "😀👨‍👩‍👧‍👦🇨🇳",
    "１３８００１３８０００",  # full-width digits
    "王\u0301五",
    "' OR 1=1 --",
    "'); DROP TABLE booking_appointment; --",
    '<script>alert("x")</script>',
    "{{ request }}{% debug %}",
    "%s%d%(x)s%n",
    "../../../etc/passwd",
    "null",
    "None",
    "true",
    "on",
    "false",
    "0",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "ａｂｃ",
    "\x00\x00\x00x",
]


def _repeat(piece: str, times: int) -> str:
    return piece * times


# Just over the fields' limits (100, 200, 300, 2000 and 5000 characters), and far over.
long_texts = st.builds(
    _repeat,
    st.sampled_from(["x", "长", "😀", "\u202e", "a\x00", " "]),
    st.one_of(st.sampled_from([101, 201, 301, 2001, 5001, 20_000]), st.integers(30, 3000)),
)

texts = st.one_of(
    st.sampled_from(NASTY_TEXTS),
    st.text(CHARACTERS, max_size=40),
    st.text(st.sampled_from(string.printable), max_size=20),
    long_texts,
)

NASTY_INTEGERS = [
    "0",
    "-1",
    "1",
    "2",
    "-0",
    "+1",
    " 1 ",
    "1.0",
    "1e3",
    "0x10",
    "１",
    "٣",  # an Arabic-Indic digit: int() accepts it
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    str(-(2**63) - 1),
    "9" * 50,
]

integers = st.one_of(
    st.sampled_from(NASTY_INTEGERS),
    st.integers().map(str),
    st.integers(-(2**70), 2**70).map(str),
)

NASTY_DATES = [
    "0001-01-01",
    "0001-01-02",
    "9999-12-31",
    "9999-12-30",
    "0000-00-00",
    "2026-02-30",
    "2026-02-29",
    "2028-02-29",
    "2026-13-01",
    "2026-12-32",
    "2026-00-10",
    "2026-12-08",
    "2026-12-07",
    "2026-12-06",
    "2026-3-8",
    "20261208",
    "2026-W50-2",
    "2026-342",
    "-2026-12-08",
    "+2026-12-08",
    "12/08/2026",
    "２０２６-１２-０８",
    "2026-12-08\x00",
    " 2026-12-08 ",
    "10000-01-01",
    "1970-01-01",
    "2038-01-19",
]

dates = st.one_of(
    st.sampled_from(NASTY_DATES),
    st.dates().map(lambda day: day.isoformat()),
)

NASTY_TIMES = [
    "00:00",
    "23:59",
    "24:00",
    "09:60",
    "9:00",
    "09:00:59.999999",
    "09:00+08:00",
    "09:00Z",
    "02:30",  # skipped or repeated where clocks change
    "-01:00",
    "25:00",
    "12:00 PM",
    "０９:００",
]

times = st.one_of(
    st.sampled_from(NASTY_TIMES),
    st.times().map(lambda value: value.isoformat()),
)

NASTY_STARTS = [
    "0001-01-01T00:00",
    "0001-01-01T07:00",
    "9999-12-31T23:59",
    "9999-12-31T00:00",
    "2026-02-30T09:00",
    "2026-12-08T24:00",
    "2026-12-08T09:60",
    "2026-12-08T09:00+08:00",
    "2026-12-08T09:00Z",
    "2026-12-08T09:00:00",
    "2026-12-08 09:00",
    "2026-12-08T9:0",
    "2026-03-29T02:30",
    "2026-11-01T01:30",
    "1970-01-01T08:00",
    "２０２６-１２-０８T０９:００",
    "2026-12-08",
    "T09:00",
]

starts = st.one_of(
    st.sampled_from(NASTY_STARTS),
    st.datetimes().map(lambda value: value.strftime("%Y-%m-%dT%H:%M")),
)

bad_values = st.one_of(texts, integers, dates, times, starts)


def mostly(good: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """``good`` three times out of four, else ``other``.

    (``st.one_of(good, other)`` would not do: it flattens nested ``one_of``s and picks
    among all their branches alike, so a ``texts`` would win four times out of five.)
    """
    return st.integers(0, 3).flatmap(lambda pick: other if pick == 0 else good)


def field(good: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """One form field: a good value, a bad one, none at all, or several (a repeated key)."""
    good = good if good is not None else bad_values
    one = st.one_of(good.filter(lambda value: value is not MISSING), bad_values)
    return st.one_of(
        good,
        good,
        bad_values,
        st.just(MISSING),
        st.lists(one, min_size=2, max_size=3),
    )


JUNK_KEYS = ["", "id", "pk", "csrfmiddlewaretoken", "__proto__", "a[]", "\x00", "名字"]


def _combine(named: dict, junk: dict) -> dict:
    data = {key: value for key, value in junk.items() if key not in named}
    data.update({key: value for key, value in named.items() if value is not MISSING})
    return data


def form(**good: st.SearchStrategy) -> st.SearchStrategy:
    """A form's data, given a strategy of good values for each field.

    Half the time every field is good but one or two (bad, missing or repeated), so that
    the form can get through and what it writes is checked; otherwise each field is
    good or bad by itself, with keys nobody asked for.
    """
    names = sorted(good)
    all_good = st.fixed_dictionaries(good)

    @st.composite
    def nearly_good(draw) -> dict:
        data = draw(all_good)
        count = draw(st.integers(0, min(2, len(names))))
        spoilt = draw(st.lists(st.sampled_from(names), min_size=count, max_size=count, unique=True))
        for name in spoilt:
            data[name] = draw(field(good[name]))
        return _combine(data, {})

    junk = st.dictionaries(st.sampled_from(JUNK_KEYS), bad_values, max_size=2)
    mixed = st.builds(
        _combine, st.fixed_dictionaries({name: field(good[name]) for name in names}), junk
    )
    return st.one_of(nearly_good(), mixed)
