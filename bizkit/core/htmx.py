"""One way to answer: the full page for a normal request, the fragment for an htmx request."""

from __future__ import annotations

from flask import Flask, render_template, request

# The request headers that decide between the page and a fragment (is_htmx).
DECIDING_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")


def is_htmx() -> bool:
    """An htmx request that wants a fragment.

    A boosted link, and htmx restoring a page for the Back button when its history
    cache misses (HX-History-Restore-Request), want the whole page.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    template: str, fragment: str | None = None, *, status: int = 200, headers=None, **context
):
    """Render the page `template`, or for htmx only `fragment` (an `_`-prefixed part of it)."""
    chosen = fragment if fragment and is_htmx() else template
    return render_template(chosen, **context), status, headers or {}


def register_vary(app: Flask) -> None:
    """Say on every response that it depends on the htmx headers.

    A page and its htmx fragment share one URL (the search pushes it into the history).
    Without `Vary`, a browser going Back to that URL after leaving the page may show the
    fragment it cached last: rows without the page around them.
    """

    @app.after_request
    def _vary(response):
        for header in DECIDING_HEADERS:
            response.vary.add(header)
        return response
