"""Forms of the email feature."""

from flask_wtf import FlaskForm


class RetryForm(FlaskForm):
    """The bare "retry" button of one email (CSRF token only)."""
