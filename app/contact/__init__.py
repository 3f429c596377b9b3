"""Contact and reservation: "Je suis intéressé(e)", the email to the poster, reserve and release."""

from .views import bp

__all__ = ["bp"]
