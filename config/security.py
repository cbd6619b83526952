"""Response headers that Django 5.2 does not set itself: the Content-Security-Policy and
a Permissions-Policy.

The policy allows nothing but this site: no inline script or style (templates use
classes from static/css/site.css; SVG charts and QR codes use presentation
attributes, which are not styles), images also as data: URLs (allauth's TOTP QR code),
no frames either way, forms only to this site. WhiteNoise answers static files before
this middleware runs; they need no policy.
"""

from django.conf import settings

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
