"""Email: every message is written to the outbox in the caller's transaction, then sent."""

from .outbox import queue_email

__all__ = ["queue_email"]
