"""The slot engine on its own: plain data in, slots out, no database."""

import datetime as dt
import itertools
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.slots import Busy, Policy, Rule, Slot, available_slots

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
NO_NOTICE = Policy(min_notice=timedelta(0), horizon_days=30)


def slots_on(day, rules, *, tz=SHANGHAI, busy=(), policy=NO_NOTICE, now=None, last_day=None):
    """Slots of ``day`` (through ``last_day`` if given); ``now`` is the day before by default."""
    now = now or dt.datetime.combine(day - timedelta(days=1), dt.time(0), tz)
    return available_slots(
        rules=rules,
        busy=busy,
        policy=policy,
        tz=tz,
        now=now,
        first_day=day,
        last_day=last_day or day,
    )


def local_starts(slots, tz=SHANGHAI):
    return [slot.start.astimezone(tz).strftime("%H:%M") for slot in slots]


MONDAY = dt.date(2026, 12, 7)
MORNING = Rule(lawyer_id=1, weekday=0, start=dt.time(9), end=dt.time(12), slot_minutes=30, mode="p")


def test_a_rule_is_cut_into_slots_of_its_length_in_utc():
    slots = slots_on(MONDAY, [MORNING])
    assert local_starts(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert slots[0].start == dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)


def test_a_rule_applies_only_on_its_weekday_and_within_its_validity():
    assert slots_on(MONDAY + timedelta(days=1), [MORNING]) == []
    expired = Rule(1, 0, dt.time(9), dt.time(12), 30, "p", valid_until=MONDAY - timedelta(days=1))
    future = Rule(1, 0, dt.time(9), dt.time(12), 30, "p", valid_from=MONDAY + timedelta(days=7))
    assert slots_on(MONDAY, [expired, future]) == []


def test_a_busy_interval_removes_overlapping_slots_and_keeps_back_to_back_ones():
    busy = Busy.between(
        1,
        dt.datetime(2026, 12, 7, 9, 30, tzinfo=SHANGHAI),
        dt.datetime(2026, 12, 7, 10, 15, tzinfo=SHANGHAI),
    )
    assert local_starts(slots_on(MONDAY, [MORNING], busy=[busy])) == [
        "09:00",
        "10:30",
        "11:00",
        "11:30",
    ]


def test_busy_time_rounds_outwards_to_whole_seconds():
    start = dt.datetime(2026, 12, 7, 9, 59, 59, 500_000, tzinfo=SHANGHAI)
    end = dt.datetime(2026, 12, 7, 10, 30, 0, 1, tzinfo=SHANGHAI)
    busy = Busy.between(1, start, end)
    assert busy.end - busy.start == 30 * 60 + 2
    # Busy from 9:59:59.5 to 10:30:00.000001: the slots at 9:30 and 10:30 overlap it by a
    # fraction of a second, and are not offered either.
    assert local_starts(slots_on(MONDAY, [MORNING], busy=[busy])) == ["09:00", "11:00", "11:30"]


def test_busy_time_of_another_lawyer_does_not_matter():
    busy = Busy(
        2,
        dt.datetime(2026, 12, 7, 9, tzinfo=SHANGHAI),
        dt.datetime(2026, 12, 7, 12, tzinfo=SHANGHAI),
    )
    assert len(slots_on(MONDAY, [MORNING], busy=[busy])) == 6


def test_minimum_notice_and_horizon():
    policy = Policy(min_notice=timedelta(minutes=60), horizon_days=7)
    now = dt.datetime(2026, 12, 7, 9, 10, tzinfo=SHANGHAI)
    today = slots_on(MONDAY, [MORNING], policy=policy, now=now)
    assert local_starts(today) == ["10:30", "11:00", "11:30"]
    weeks = slots_on(
        MONDAY, [MORNING], policy=policy, now=now, last_day=MONDAY + timedelta(days=30)
    )
    # Today's three and next Monday's six (the horizon is 14 December); nothing after.
    assert {slot.start.astimezone(SHANGHAI).date() for slot in weeks} == {
        MONDAY,
        MONDAY + timedelta(days=7),
    }
    assert len(weeks) == 9


def test_days_before_today_are_never_offered():
    now = dt.datetime(2026, 12, 8, 7, 0, tzinfo=SHANGHAI)
    assert slots_on(MONDAY, [MORNING], now=now) == []


def test_same_slot_from_two_rules_is_offered_once():
    assert len(slots_on(MONDAY, [MORNING, MORNING])) == 6


def test_spring_forward_skips_the_missing_hour_and_keeps_wall_clock_times():
    sunday = dt.date(2026, 3, 8)  # New York: 02:00 EST becomes 03:00 EDT.
    night = Rule(1, 6, dt.time(0), dt.time(4), 30, "p")
    slots = slots_on(sunday, [night], tz=NEW_YORK)
    assert local_starts(slots, NEW_YORK) == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)
    assert all(a.end <= b.start for a, b in itertools.pairwise(slots))

    morning = Rule(1, 6, dt.time(9), dt.time(10), 60, "p")
    before = slots_on(sunday - timedelta(days=7), [morning], tz=NEW_YORK)
    after = slots_on(sunday, [morning], tz=NEW_YORK)
    # Nine o'clock stays nine o'clock on the wall: one hour earlier in UTC.
    assert before[0].start == dt.datetime(2026, 3, 1, 14, tzinfo=UTC)
    assert after[0].start == dt.datetime(2026, 3, 8, 13, tzinfo=UTC)


def test_fall_back_offers_a_repeated_wall_time_once():
    sunday = dt.date(2026, 11, 1)  # New York: 02:00 EDT becomes 01:00 EST.
    night = Rule(1, 6, dt.time(0), dt.time(3), 30, "p")
    slots = slots_on(sunday, [night], tz=NEW_YORK)
    assert local_starts(slots, NEW_YORK) == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30"]
    assert slots[2].start == dt.datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    assert slots[4].start == dt.datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 EST
    assert all(a.end <= b.start for a, b in itertools.pairwise(slots))


# Property tests ------------------------------------------------------------------------

ZONES = [SHANGHAI, NEW_YORK, ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Lord_Howe")]
BASE = dt.datetime(2026, 3, 1, tzinfo=UTC)  # Spring changes in NY and Berlin, autumn at Lord Howe.


@st.composite
def rules(draw):
    start = draw(st.integers(0, 88)) * 15  # until 22:00, so the longest slot fits
    length = draw(st.sampled_from([15, 20, 30, 45, 60, 90]))
    end = draw(st.integers(start + length, min(start + 8 * 60, 24 * 60 - 1)))
    valid_from = draw(st.none() | st.dates(dt.date(2026, 2, 25), dt.date(2026, 4, 15)))
    valid_until = draw(
        st.none() | st.dates(valid_from or dt.date(2026, 2, 25), dt.date(2026, 4, 30))
    )
    return Rule(
        lawyer_id=draw(st.integers(1, 3)),
        weekday=draw(st.integers(0, 6)),
        start=dt.time(start // 60, start % 60),
        end=dt.time(end // 60, end % 60),
        slot_minutes=length,
        mode=draw(st.sampled_from(["in_person", "phone"])),
        valid_from=valid_from,
        valid_until=valid_until,
    )


@st.composite
def busy_intervals(draw):
    # Any second, not only whole minutes: rounding must never shrink busy time.
    start = BASE + timedelta(seconds=draw(st.integers(0, 86_400 * 50)))
    end = start + timedelta(seconds=draw(st.integers(1, 86_400 * 2)))
    return Busy.between(draw(st.integers(1, 3)), start, end)


scenarios = st.fixed_dictionaries(
    {
        "rules": st.lists(rules(), max_size=6),
        "busy": st.lists(busy_intervals(), max_size=12),
        "policy": st.builds(
            Policy,
            min_notice=st.integers(0, 72 * 60).map(lambda m: timedelta(minutes=m)),
            horizon_days=st.integers(1, 21),
        ),
        "tz": st.sampled_from(ZONES),
        "now": st.integers(0, 60 * 24 * 30).map(lambda m: BASE + timedelta(minutes=m)),
    }
)


def run(scenario, busy=None):
    today = scenario["now"].astimezone(scenario["tz"]).date()
    return available_slots(
        rules=scenario["rules"],
        busy=scenario["busy"] if busy is None else busy,
        policy=scenario["policy"],
        tz=scenario["tz"],
        now=scenario["now"],
        first_day=today - timedelta(days=3),
        last_day=today + timedelta(days=40),
    )


def overlaps(slot: Slot, busy: Busy) -> bool:
    return slot.start.timestamp() < busy.end and busy.start < slot.end.timestamp()


def rule_of(slot: Slot, scenario) -> Rule | None:
    """The rule that produced ``slot``, judged on local wall-clock time."""
    tz = scenario["tz"]
    wall = slot.start.astimezone(tz)
    naive = wall.replace(tzinfo=None)
    for rule in scenario["rules"]:
        rule_start = dt.datetime.combine(naive.date(), rule.start)
        rule_end = dt.datetime.combine(naive.date(), rule.end)
        if (
            rule.lawyer_id == slot.lawyer_id
            and rule.mode == slot.mode
            and rule.applies_on(naive.date())
            and rule_start <= naive
            and naive + timedelta(minutes=rule.slot_minutes) <= rule_end
            and (naive - rule_start) % timedelta(minutes=rule.slot_minutes) == timedelta(0)
            and slot.end - slot.start == timedelta(minutes=rule.slot_minutes)
        ):
            return rule
    return None


def expected_slots(scenario) -> set[Slot]:
    """A slow, obviously correct oracle: every grid point converted one by one."""
    tz, now, policy = scenario["tz"], scenario["now"], scenario["policy"]
    today = now.astimezone(tz).date()
    found = set()
    for offset in range(policy.horizon_days + 1):
        day = today + timedelta(days=offset)
        for rule in scenario["rules"]:
            if not rule.applies_on(day):
                continue
            wall = dt.datetime.combine(day, rule.start)
            while wall + timedelta(minutes=rule.slot_minutes) <= dt.datetime.combine(day, rule.end):
                start = wall.replace(tzinfo=tz).astimezone(UTC)
                exists = start.astimezone(tz).replace(tzinfo=None) == wall
                end = start + timedelta(minutes=rule.slot_minutes)
                slot = Slot(start, end, rule.lawyer_id, rule.mode)
                free = not any(
                    b.lawyer_id == rule.lawyer_id and overlaps(slot, b) for b in scenario["busy"]
                )
                if exists and free and start >= now + policy.min_notice:
                    found.add(slot)
                wall += timedelta(minutes=rule.slot_minutes)
    return found


@settings(max_examples=300, deadline=None)
@given(scenarios)
def test_no_offered_slot_overlaps_busy_time_of_its_lawyer(scenario):
    for slot in run(scenario):
        for busy in scenario["busy"]:
            if busy.lawyer_id == slot.lawyer_id:
                assert not overlaps(slot, busy)


@settings(max_examples=300, deadline=None)
@given(scenarios)
def test_every_slot_lies_inside_a_rule_of_its_lawyer_and_weekday(scenario):
    for slot in run(scenario):
        assert rule_of(slot, scenario) is not None, slot


@settings(max_examples=300, deadline=None)
@given(scenarios)
def test_no_slot_before_the_minimum_notice_or_beyond_the_horizon(scenario):
    tz, now, policy = scenario["tz"], scenario["now"], scenario["policy"]
    today = now.astimezone(tz).date()
    for slot in run(scenario):
        assert slot.start >= now + policy.min_notice
        assert today <= slot.start.astimezone(tz).date() <= today + timedelta(policy.horizon_days)


@settings(max_examples=300, deadline=None)
@given(scenarios)
def test_the_engine_offers_exactly_what_the_slow_oracle_offers(scenario):
    assert set(run(scenario)) == expected_slots(scenario)


@settings(max_examples=200, deadline=None)
@given(scenarios, st.data())
def test_a_cancelled_appointment_frees_its_slot(scenario, data):
    offered = run(scenario)
    if not offered:
        return
    slot = data.draw(st.sampled_from(offered))
    booked = Busy.between(slot.lawyer_id, slot.start, slot.end)
    assert slot not in run(scenario, busy=[*scenario["busy"], booked])
    # Cancelling removes it from the busy time again: the same slot comes back.
    assert slot in run(scenario, busy=list(scenario["busy"]))
