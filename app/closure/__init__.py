"""Closing a listing with its reason: exchanged (with which service), thrown away, unavailable."""

from .views import bp

__all__ = ["bp"]
