"""Home redirect, health check and the French error pages."""

from .views import bp

__all__ = ["bp"]
