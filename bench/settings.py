"""Settings of the benchmark server (bench/pages.py): the site's own, with bench/urls.py.

Only ``ROOT_URLCONF`` differs, so that pages and the bare view are served with the same
middleware, database, cache and static-file settings as production.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
