"""One way to answer: the full page for a normal request, the fragment for an htmx request."""

from __future__ import annotations

from flask import render_template, request


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
