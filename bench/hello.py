"""The bare Flask routes every scenario is compared with, served by the same gunicorn setup.

/hello is the budget's baseline. /rows is the issue's own reference point ("a bare page
rendering 50 rows from one indexed query"): no login, no layout, no translations; one
indexed query through SQLAlchemy Core and a Jinja table of 50 customers of the large
benchmark company. It shows what the framework stack alone costs on this machine.
"""

import os

from flask import Flask
from sqlalchemy import create_engine, text

app = Flask(__name__)
_engine = None

ROWS = text(
    "SELECT id, name, email, phone, company_name FROM customer WHERE company_id ="
    " (SELECT min(id) FROM company WHERE slug LIKE 'bench-%')"
    " ORDER BY bizkit_fold(name), id LIMIT 50"  # the customer list's order and index
)
TABLE = """<!doctype html><html><head><title>Customers</title></head><body>
<table><thead><tr><th>Name</th><th>E-mail</th><th>Phone</th><th>Company</th></tr></thead><tbody>
{% for c in rows %}<tr><td><a href="/customers/{{ c.id }}">{{ c.name }}</a></td>
<td>{{ c.email or "" }}</td><td>{{ c.phone or "" }}</td><td>{{ c.company_name or "" }}</td></tr>
{% endfor %}</tbody></table></body></html>"""
_table = app.jinja_env.from_string(TABLE)


@app.route("/hello")
def hello():
    return "Hello, world!"


@app.route("/rows")
def rows():
    global _engine
    if _engine is None:
        url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        _engine = create_engine(
            url,
            pool_size=int(os.environ.get("P", "5")),
            max_overflow=int(os.environ.get("O", "10")),
        )
    with _engine.connect() as conn:
        result = conn.execute(ROWS).all()
    return _table.render(rows=result)
