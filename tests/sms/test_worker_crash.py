"""The real worker, SIGKILLed mid-send and restarted, loses no message, and sends none
twice where the provider can be asked what it already has.

tests/sms/crash_scenario.py runs two ``manage.py sms_worker`` subprocesses through the
real Alibaba and Tencent backends against a fake provider that answers after a delay,
kills a worker that has just had a send accepted (mostly before it read the answer),
several times, and counts what reached the phone. With a look-up that names our
message (Alibaba's QuerySendDetails by OutId; Tencent's PullSmsSendStatusByPhoneNumber
where Tencent enabled SessionContext) nothing is lost and nothing is sent twice. Without
one (Tencent's records by default carry no context) nothing is lost and a message is
sent again at most once per kill: the at-least-once bound. Runs on SQLite and PostgreSQL
(`make test` runs the suite on both); ``pytest -s`` shows the figures, bench/crash.py
measures over more kills.
"""

import pytest

from sms.models import MessageStatus
from tests.sms import crash_scenario
from tests.sms.crash_scenario import database_url  # noqa: F401 (test_callback_logs.py)

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

MESSAGES = 200
KILLS = 6


@pytest.mark.parametrize("name", list(crash_scenario.SCENARIOS))
def test_killed_workers_lose_no_message_and_a_look_up_sends_none_twice(name, tmp_path):
    scenario = crash_scenario.SCENARIOS[name]
    try:
        outcome = crash_scenario.run(scenario, logs=tmp_path, messages=MESSAGES, kills=KILLS)
    except crash_scenario.ScenarioFailed as error:
        pytest.fail(str(error))
    print(f"\nworker crash test: {outcome.line()}")

    assert outcome.kills == KILLS, "messages ran out before the last kill: queue more"
    assert outcome.messages == MESSAGES
    assert outcome.lost == 0
    assert set(outcome.statuses) <= {MessageStatus.SENT, MessageStatus.DELIVERED}
    assert outcome.reclaimed >= 1  # a kill left a row to claim again
    assert outcome.look_ups >= outcome.reclaimed  # each reclaimed row asked first
    if scenario.context_in_status:
        assert outcome.duplicates == 0
        assert outcome.accepted == MESSAGES
    else:
        # A killed worker held at most one row: at most one extra copy per kill.
        assert outcome.duplicates <= outcome.kills
        assert outcome.accepted == MESSAGES + outcome.duplicates
