"""The site's own pages for 400, 403, 404, 500 and a form refused by the CSRF check.

config/urls.py names them as Django's error handlers, settings.CSRF_FAILURE_VIEW the
last; a 405 gets its page from booking/web/error_pages.py. Django calls the handlers
only with DEBUG off, which is why `make run` serves with DEBUG off
(docs/deploy.md#make-run). Each page is in the site's layout, in the visitor's
language, with a way back: the home page, "my appointments" and the offices' phones.

The 500 page is the template alone, rendered without a request context: whatever broke
may be the database itself, so nothing on it queries (no context processor, no user, no
office phone); it names the free legal-aid hotline instead.

A request refused at the door for a NUL character (config/security.py) gets the 400 page
from ``refused_request``: without the request's context too, as the request itself is what
cannot be read.
"""

from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.template import loader
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token

from booking.web.error_pages import office_phones, render_error_page


@requires_csrf_token  # the header's sign-out form needs the token on every page
def bad_request(request, exception=None, template_name="400.html"):
    return HttpResponseBadRequest(render_error_page(request, template_name))


@requires_csrf_token
def refused_request(request, template_name="400.html"):
    """The 400 page for a request with NUL in its address or form (config/security.py).

    Nothing of the request is read but its language (cookie, browser): the request
    context would write the address, NUL and all, into the language form's ``next``, and
    would load the session and the user for a request no view will see. The page is
    therefore the signed-out one, with the offices' phones.
    """
    with translation.override(translation.get_language_from_request(request)):
        body = loader.get_template(template_name).render({"office_phones": office_phones()})
    return HttpResponseBadRequest(body)


@requires_csrf_token
def permission_denied(request, exception=None, template_name="403.html"):
    return HttpResponseForbidden(render_error_page(request, template_name))


@requires_csrf_token
def page_not_found(request, exception=None, template_name="404.html"):
    return HttpResponseNotFound(render_error_page(request, template_name))


def csrf_failure(request, reason="", template_name="403_csrf.html"):
    """A form posted with a stale token or without the cookie: nothing was done.

    The page links back to the form's page (the Referer, when it is this site's), where
    a reload gives a fresh token.
    """
    referer = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        referer = ""
    context = {"form_page": referer, "no_cookie": reason == REASON_NO_CSRF_COOKIE}
    return HttpResponseForbidden(render_error_page(request, template_name, context))


def server_error(request, template_name="500.html"):
    """The template alone: no context processor, no query (see the module's docstring).

    The language is read from the request again (cookie, browser), as the error may
    have come before the locale middleware chose it.
    """
    with translation.override(translation.get_language_from_request(request)):
        body = loader.get_template(template_name).render({"request": request})
    return HttpResponseServerError(body)
