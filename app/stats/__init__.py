"""Statistics for moderators: the savings dashboard, the exports and the six-monthly reports."""

from .views import bp

__all__ = ["bp"]
