from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

# Staff sign in through allauth, so that the admin's own login cannot skip their TOTP.
admin.site.login = secure_admin_login(admin.site.login)
# The admin speaks of the product, not of Django.
admin.site.site_header = _("Free legal consultations: administration")
admin.site.site_title = _("Free legal consultations")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    # allauth's pages; its sign-in and code pages ours, keeping the sign-in in progress.
    path("accounts/", include("accounts.urls")),
    # No CSRF token: public pages are cached for everyone (booking/pagecache.py), and
    # choosing a language is harmless to forge.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("sms/", include("sms.urls")),
    path("", include("booking.urls")),
]

# The site's own error pages (booking/views/errors.py); Django uses them with DEBUG off.
handler400 = "booking.views.errors.bad_request"
handler403 = "booking.views.errors.permission_denied"
handler404 = "booking.views.errors.page_not_found"
handler500 = "booking.views.errors.server_error"
