"""allauth's pages, three of them replaced by accounts/views.py at allauth's own paths
and names: the sign-in page and the two code pages.

config/urls.py includes this instead of ``allauth.urls``, so that each route keeps one
name and one view.
"""

from allauth.urls import urlpatterns as allauth_urlpatterns
from django.urls import URLPattern, URLResolver

from accounts import views

OURS = {
    "account_login": views.login,
    "account_confirm_login_code": views.confirm_login_code,
    "account_verify_phone": views.verify_phone,
}


def _with_ours(patterns: list) -> list:
    rebuilt: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = _with_ours(entry.url_patterns)
            rebuilt.append(
                URLResolver(
                    entry.pattern, inner, entry.default_kwargs, entry.app_name, entry.namespace
                )
            )
        elif entry.name in OURS:
            rebuilt.append(
                URLPattern(entry.pattern, OURS[entry.name], entry.default_args, entry.name)
            )
        else:
            rebuilt.append(entry)
    return rebuilt


urlpatterns = _with_ours(allauth_urlpatterns)
