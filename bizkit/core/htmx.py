"""One way to answer: the full page for a normal request, the fragment for an htmx request."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from flask import Flask, current_app, render_template, request

from bizkit.core.fragments import fragment as kept_fragment

# The request headers that decide between the page and a fragment (is_htmx).
DECIDING_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")
_VARY = ", ".join(DECIDING_HEADERS)


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


# The blocks of a page template its kept content is made of (the layout renders the rest).
KEPT_BLOCKS = ("title", "head_extra", "content")
_BETWEEN = f"kept-block-{secrets.token_hex(8)}"  # random: no rendered text contains it


def render_kept(
    template: str,
    fragment: str | None,
    tables: Iterable,
    context: Callable[[], dict],
    *,
    vary: tuple = (),
):
    """`render`, with the page's own part kept between requests (bizkit.core.fragments):
    for htmx the fragment, else the template's title, head and content blocks, each
    rendered from `context()` only when not kept for these `tables`' revisions. The rest
    of the page (the layout, chrome and flashes) is rendered for every request."""
    if fragment and is_htmx():
        return kept_fragment(
            fragment, tables, lambda: render_template(fragment, **context()), vary=vary
        )
    kept = kept_fragment(
        f"{template}#blocks",
        tables,
        lambda: _BETWEEN.join(render_blocks(template, KEPT_BLOCKS, context())),
        vary=vary,
    )
    blocks = dict(zip(KEPT_BLOCKS, kept.split(_BETWEEN), strict=True))
    return render_template(template, kept_blocks=blocks)


def render_blocks(template_name: str, names: Iterable[str], context: dict) -> list[str]:
    """Blocks of a page template, alone ("" for a block it does not define), with the
    context render_template would give."""
    app = current_app
    template = app.jinja_env.get_or_select_template(template_name)
    app.update_template_context(context)
    jinja_context = template.new_context(context)
    return [
        "".join(template.blocks[name](jinja_context)) if name in template.blocks else ""
        for name in names
    ]


def register_vary(app: Flask) -> None:
    """Say on every response that it depends on the htmx headers.

    A page and its htmx fragment share one URL (the search pushes it into the history).
    Without `Vary`, a browser going Back to that URL after leaving the page may show the
    fragment it cached last: rows without the page around them.
    """

    @app.after_request
    def _vary(response):
        if "Vary" not in response.headers:  # the usual case, without parsing a header set
            response.headers["Vary"] = _VARY
            return response
        for header in DECIDING_HEADERS:
            response.vary.add(header)
        return response
