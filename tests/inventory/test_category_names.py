"""Sibling categories may not share a name in any case, in any alphabet, on any server:
"ČAJ" next to "čaj" is refused whatever the database's collation folds; accents count."""

import importlib.util
import re
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bizkit.extensions import db
from bizkit.inventory import operations as ops
from bizkit.inventory.models import Category
from tests.conftest import company_ctx

TAKEN = "A category with this name exists at this level."


def _error_next_to_name(response) -> str:
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    match = re.search(r'<p class="error" id="name-error">([^<]*)</p>', html)
    assert match, "no error next to the name"
    return match.group(1)


def _names(app, company) -> list[str]:
    with company_ctx(app, company.id):
        return sorted(db.session.execute(select(Category.name)).scalars())


@pytest.fixture
def c_collation(rollback_db):
    """The category names under the `C` collation, as on a server initialised with
    LC_CTYPE=C, where `lower('ČAJ')` is 'Čaj' (ASCII folded only). Rolled back with the test."""
    rollback_db.execute(
        text('ALTER TABLE category ALTER COLUMN name TYPE varchar(120) COLLATE "C"')
    )
    assert rollback_db.execute(text("SELECT lower('ČAJ' COLLATE \"C\")")).scalar() == "Čaj"


def _add(auth, name, parent=""):
    return auth.post("/inventory/categories", {"name": name, "parent": parent})


def test_a_name_in_another_case_is_refused_next_to_the_field(app, auth, company):
    assert _add(auth, "čaj").status_code == 302
    assert _error_next_to_name(_add(auth, "ČAJ")) == TAKEN
    assert _error_next_to_name(_add(auth, "c\u030caj")) == TAKEN  # č typed as c + caron
    assert _add(auth, "Caj").status_code == 302  # another word: accents count
    assert _add(auth, "Straße").status_code == 302
    assert _error_next_to_name(_add(auth, "STRASSE")) == TAKEN  # full case folding
    with company_ctx(app, company.id):
        caj = db.session.execute(select(Category.id).where(Category.name == "Caj")).scalar()
    response = auth.post(f"/inventory/categories/{caj}", {"name": "ČAJ", "parent": ""})
    assert _error_next_to_name(response) == TAKEN  # renaming too
    assert _names(app, company) == ["Caj", "Straße", "čaj"]


def test_refused_on_a_server_whose_lower_folds_ascii_only(app, auth, company, c_collation):
    assert _add(auth, "ČAJ").status_code == 302
    assert _error_next_to_name(_add(auth, "čaj")) == TAKEN
    assert _names(app, company) == ["ČAJ"]


def test_the_database_refuses_them_on_such_a_server_too(app, company, c_collation):
    with company_ctx(app, company.id):
        drinks = ops.save_category(None, None, name="Nápoje", parent=None)
        ops.save_category(None, None, name="ČAJ", parent=drinks)
        for name in ("čaj", "Čaj"):
            with pytest.raises(IntegrityError), db.session.begin_nested():
                db.session.add(Category(name=name, parent=drinks))
                db.session.flush()
        # "NÁPOJE" at the top clashes with "Nápoje"; under "Nápoje" it does not.
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Category(name="NÁPOJE", parent=None))
            db.session.flush()
        ops.save_category(None, None, name="NÁPOJE", parent=drinks)


def _migration():
    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    [path] = versions.glob("*_category_name_key.py")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_renames_clashing_siblings_without_a_new_clash(
    app, company, make_company, rollback_db
):
    """Siblings that only the new key tells are one name are renamed "Name (id)", and when
    a sibling is already called that, "Name (id-2)"; other levels and companies keep theirs."""
    other = make_company("Other Bistro")
    migration = _migration()
    migration.BATCH = 2  # several batches, written while the rows are still being read
    with Operations.context(MigrationContext.configure(rollback_db)):
        migration.downgrade()  # the schema of 0016: unique on lower(name)

    def insert(company_id, name, parent_id=None):
        return rollback_db.execute(
            text(
                "INSERT INTO category (company_id, name, parent_id) "
                "VALUES (:c, :n, :p) RETURNING id"
            ),
            {"c": company_id, "n": name, "p": parent_id},
        ).scalar()

    oldest = insert(company.id, "Straße")
    clashing = insert(company.id, "STRASSE")  # lower(): "strasse" ≠ "straße"
    insert(company.id, f"strasse ({clashing})")  # the name 0016 would have given it
    insert(company.id, "STRASSE", parent_id=oldest)  # another level
    insert(other.id, "Straße")
    other_clashing = insert(other.id, "STRASSE")  # another company's pair, its own rename

    with Operations.context(MigrationContext.configure(rollback_db)):
        migration.upgrade()

    rows = rollback_db.execute(
        text("SELECT company_id, parent_id, name, name_key FROM category ORDER BY id")
    ).all()
    assert [(r.name, r.name_key) for r in rows] == [
        ("Straße", "strasse"),
        (f"STRASSE ({clashing}-2)", f"strasse ({clashing}-2)"),
        (f"strasse ({clashing})", f"strasse ({clashing})"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        (f"STRASSE ({other_clashing})", f"strasse ({other_clashing})"),
    ]
    with company_ctx(app, company.id):  # the model's key is the migration's
        for category in db.session.execute(select(Category)).scalars():
            assert category.name_key == migration.name_key(category.name)
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Category(name="STRAẞE", parent=None))  # capital sharp s
            db.session.flush()
