"""Lawyers' pages: availability (being written)."""

urlpatterns = []
