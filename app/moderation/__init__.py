"""Moderation: the queue, corrections, reference data, accounts, the journal and the digest."""

from . import (  # noqa: F401 -- routes, commands and the journal's hooks
    commands,
    journal,
    journal_views,
    reference_views,
    user_views,
)
from .views import bp

__all__ = ["bp"]
