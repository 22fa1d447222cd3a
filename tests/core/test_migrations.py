"""The schema the migrations build equals the one the models describe."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bizkit.core.tenant_keys import include_object
from bizkit.extensions import db


def test_migrations_on_an_empty_database_match_the_models(app):
    # The session `app` fixture built this database from nothing with `flask db upgrade`.
    with app.app_context(), db.engine.connect() as connection:
        opts = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(connection, opts=opts)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            differences = compare_metadata(context, db.metadata)
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert differences == []
    assert version is not None
    # Alembic warns, and compares nothing, where it cannot read an index expression (an
    # operator class written into it instead of postgresql_ops).
    skipped = [
        str(w.message) for w in caught if issubclass(w.category, UserWarning | RuntimeWarning)
    ]
    assert skipped == []


def test_every_tenant_table_has_an_indexed_company_id(app):
    from bizkit.core.session import TenantMixin

    tenant_tables = {
        mapper.local_table
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, TenantMixin)
    }
    assert tenant_tables
    for table in tenant_tables:
        column = table.c.company_id
        assert not column.nullable, table.name
        leading = [ix for ix in table.indexes if next(iter(ix.columns)).name == "company_id"]
        assert leading, f"{table.name} has no index starting with company_id"
