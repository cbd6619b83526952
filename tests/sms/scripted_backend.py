"""A backend whose answers a test scripts, for the delivery tests.

Each ``send`` takes the next outcome from ``script``: an exception to raise, a function to
call while the request is "in flight" (its exception, if any, is raised), or None to
accept. Accepted messages go to ``sms.backends.locmem.outbox`` like the locmem backend's.
An empty script accepts everything.
"""

from sms.backends.locmem import LocmemBackend

script: list = []


class ScriptedBackend(LocmemBackend):
    def send(self, sms):
        outcome = script.pop(0) if script else None
        if callable(outcome):
            outcome = outcome()
        if isinstance(outcome, BaseException):
            raise outcome
        return super().send(sms)
