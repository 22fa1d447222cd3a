"""The app's cheapest logged-in page: the floor under every scenario, served like them.

`make bench` serves this next to the app, with the same gunicorn setup, and measures
`/bench/empty`: the real BizKit app (create_app, as wsgi.py builds it) with one extra
view that needs a permission and renders the page layout around a heading and nothing
else. So it pays what every page pays and no page can avoid (session cookie, the user
with their memberships and company from the database, tenant scope, the layout with
its chrome, translations, the request's transaction, the request log) and nothing a
page adds (its queries and rows). Its throughput is the most any page of the app can
reach on this machine without caching whole responses.
"""

from flask import render_template

from bizkit import create_app
from bizkit.core.permissions import requires


def add_empty_page(app):
    """Register `/bench/empty` on `app` (also used by `bench.request_cost`)."""
    template = app.jinja_env.from_string(
        '{% extends "base.html" %}{% block title %}{{ _("Dashboard") }}{% endblock %}'
        '{% block content %}<header class="page-header"><h1>{{ _("Dashboard") }}</h1>'
        "</header>{% endblock %}"
    )

    @requires("dashboard.view")
    def empty():
        return render_template(template)

    app.add_url_rule("/bench/empty", "bench_empty", empty)
    return app


def create_floor_app():
    """The app gunicorn serves for the floor (`bench.floor:create_floor_app()`)."""
    return add_empty_page(create_app())
