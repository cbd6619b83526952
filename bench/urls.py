"""URLs of the benchmark server: every URL of the site, plus a bare view to compare with.

Selected by bench/settings.py only: the site itself never serves ``/bench/bare/``.
"""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns

BARE_BODY = b"bare"


def bare(request):
    """A constant, through the same middleware as every page: the ceiling of the server."""
    return HttpResponse(BARE_BODY, content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *site_urlpatterns]
