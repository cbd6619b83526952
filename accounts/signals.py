"""What accounts tells the apps built on it, without importing them.

booking imports accounts (its staff, residents and lawyers are accounts' users), never
the other way (tests/test_layers.py). Where accounts' own pages show what booking must
record, accounts sends a signal and booking listens (booking/signals.py).
"""

from django.dispatch import Signal

#: Residents' names and numbers shown in the admin: ``request``, ``users`` (residents
#: only), ``place`` and ``details`` as booking's access log takes them.
residents_seen = Signal()
