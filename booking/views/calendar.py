"""Lawyers' pages: calendar (being written)."""

urlpatterns = []
