"""Sign-in (local passwords or the intranet's REMOTE_USER), sign-out and the profile."""

from .views import bp

__all__ = ["bp"]
