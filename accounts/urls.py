"""allauth's pages that accounts/views.py replaces, at allauth's own paths and names.

Included ahead of ``allauth.urls`` (config/urls.py), so that these match first.
"""

from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("login/code/confirm/", views.confirm_login_code, name="account_confirm_login_code"),
]
