"""WSGI entry point for the intranet web server: `app = create_app()`."""

from app import create_app

app = create_app()
