"""The error pages' shared rendering, and the page for a link to a form's address.

booking/views/errors.py are Django's error handlers; both render here. A view that
accepts only POST (``require_POST``) answers a link followed to it with a bare 405 and
an empty body, a blank page in the browser: ``MethodNotAllowedPage`` gives that answer
the site's own page, keeping its status and its Allow header.
"""

from http import HTTPStatus

from django.db import DatabaseError
from django.template import loader

from accounts.selectors import list_offices_to_call


def office_phones() -> list:
    """Every office (name and phone), as the sign-in pages list them; none when the
    database does not answer."""
    try:
        return list_offices_to_call(next_url="")
    except DatabaseError:
        return []


def render_error_page(request, template_name: str, context: dict | None = None) -> str:
    """An error page with the request's context (who is signed in) and the offices' phones."""
    template = loader.get_template(template_name)
    return template.render({"office_phones": office_phones(), **(context or {})}, request)


class MethodNotAllowedPage:
    """A 405 to a link (GET or HEAD) with nothing in it gets templates/405.html."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
            and request.method in ("GET", "HEAD")
            and not response.content
        ):
            response.content = render_error_page(request, "405.html")
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
