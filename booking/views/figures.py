"""Stub: filled in by the desk work of issue 6."""

urlpatterns: list = []
