"""WSGI entry point: `gunicorn wsgi:app`."""

from bizkit import create_app

app = create_app()
