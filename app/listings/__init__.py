"""Listings: browse, post, edit and the agent's own listings."""

from .views import bp

__all__ = ["bp"]
