"""Settings of the load test's server (bench/load.py): the benchmark server's settings,
without the limits on booking.

Every simulated resident comes from 127.0.0.1, and each books far more often than a
person would, so the limits per address and per account on booking, moving and
cancelling (``RATE_LIMITS["book"]``, booking/ratelimit.py) would answer most of them
429: the load test measures the booking path, not the limits. Add here any limit the
site gains on the pages that the load test visits. The calendar feed's limits and
allauth's ``ACCOUNT_RATE_LIMITS`` stay: the load test uses neither the feed nor the
sign-in pages (its residents' sessions are made directly, see bench/load.py).
"""

from bench.settings import *  # noqa: F403
from bench.settings import RATE_LIMITS

RATE_LIMITS = {**RATE_LIMITS, "book": ""}  # an empty rate list counts nothing
