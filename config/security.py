"""Request and response hygiene that Django 5.2 does not do itself: requests carrying a
NUL character are refused, and responses get a Content-Security-Policy and a
Permissions-Policy.

NUL: no address, query or form field of this site has a use for it, PostgreSQL refuses
it in text (a database error, so a 500, wherever a view passes it on: a reference in
the address, a raw POST value) and Django's form fields reject it one by one. Refusing
it at the door, with the site's 400 page (booking/views/errors.py's ``refused_request``,
which reads nothing of the request but its language), covers every view at once. Bodies
that are not forms (the SMS providers' JSON reports) are checked by their parsers.

The policy allows nothing but this site: no inline script or style (templates use
classes from static/css/site.css; SVG charts and QR codes use presentation
attributes, which are not styles), images also as data: URLs (allauth's TOTP QR code),
no frames either way, forms only to this site. Static files get the headers too
(WhiteNoise comes after these in MIDDLEWARE), where they do no harm.

Chapter: docs/trust.md#hardening.
"""

from django.conf import settings

from booking.views.errors import refused_request

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {' '.join(sources)}"
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def reads_body(view):
    """Mark a view that parses the request body itself (see RejectNulMiddleware)."""
    view.reads_body = True
    return view


def _has_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values)
               for key, values in query_dict.lists())  # fmt: skip


class RejectNulMiddleware:
    """Answers 400 to NUL in the path, the query string or the posted form.

    The posted form is not read for views marked ``reads_body`` (the SMS providers'
    callbacks, which parse their bodies themselves): reading ``request.POST`` of a
    multipart body here would leave them nothing to read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        refused = "\x00" in request.path or _has_nul(request.GET)
        if not refused and request.method == "POST":
            refused = not getattr(view_func, "reads_body", False) and _has_nul(request.POST)
        if refused:
            return refused_request(request)
        return None
