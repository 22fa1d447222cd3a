"""category.name_key: sibling category names unique in any case, for every alphabet

Revision ID: 0020_category_name_key
Revises: 0019_quote_approved_total
Create Date: 2026-12-03 11:00:00

Migration 0016 made sibling names unique on `lower(name)`. PostgreSQL's `lower()` folds
by the server's LC_CTYPE: under `C`/`POSIX` it folds ASCII only, so "ČAJ" and "čaj" could
stand side by side, and under no locale does it fold "ß" to "ss" or "ς" to "σ". ICU
collations would fold the same everywhere, but servers built without ICU have none.
So the key is made in Python, the same on every server: `name_key` holds
`category_name_key(name)` (`bizkit.inventory.models`: full Unicode case folding of the
canonically normalised name; accents count, "Čaj" and "Caj" are two names), set by the
model whenever the name is set, and the unique index is on
(company_id, COALESCE(parent_id, 0), name_key).

Names that clash only under the new key (made on a `C` server, or "Straße" beside
"STRASSE") are renamed as 0016 renamed: in each group the oldest keeps its name, each
other one gets " (<id>)" appended, cut to 120 characters. Unlike 0016, the new name is
checked too: if a sibling already has it (someone named a category "Čaj (7)"), the
suffix becomes " (<id>-2)", " (<id>-3)", ... until it is free. The renames are not
audited (as 0016's were not); the owner sees the suffix and can rename.

Big tables: the column is added without a default (catalog only), then filled in batches
of ids (one `UPDATE ... FROM unnest()` per batch); every row is written once, as a new
stored column must be. The ALTER holds the table's lock until the migration commits,
so no category is written meanwhile with an empty key; categories are few per company
and are written rarely, so this is a short pause of catalog edits, not of sales. Only
then is the column made NOT NULL and the index rebuilt, in the same transaction.
"""

import unicodedata
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0020_category_name_key"
down_revision = "0019_quote_approved_total"
branch_labels = None
depends_on = None

INDEX = "uq_category_company_parent_name"
NAME_LENGTH = 120
BATCH = 5000


def name_key(name: str) -> str:
    """`bizkit.inventory.models.category_name_key` as of this migration (kept here so a
    later change to the model's function does not change what this migration did)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def _free_name(name: str, category_id: int, taken: set[str]) -> str:
    attempt = 1
    while True:
        suffix = f" ({category_id})" if attempt == 1 else f" ({category_id}-{attempt})"
        candidate = name[: NAME_LENGTH - len(suffix)] + suffix
        if name_key(candidate) not in taken:
            return candidate
        attempt += 1


def keys_and_renames(rows):
    """For rows (id, company_id, parent_id or 0, name) sorted by sibling group and then
    id: yield (id, key, new name or None) for every row."""
    for _group, siblings in groupby(rows, key=lambda row: (row[1], row[2])):
        siblings = list(siblings)
        taken = {name_key(row[3]) for row in siblings}  # every name as it is now
        kept: set[str] = set()
        for category_id, _company, _parent, name in siblings:
            key = name_key(name)
            if key not in kept:
                kept.add(key)
                yield category_id, key, None
                continue
            new_name = _free_name(name, category_id, taken)
            new_key = name_key(new_name)
            taken.add(new_key)
            kept.add(new_key)
            yield category_id, new_key, new_name


def _write(connection, batch) -> None:
    ids = [row[0] for row in batch]
    keys = [row[1] for row in batch]
    names = [row[2] for row in batch]
    connection.execute(
        sa.text(
            """
            UPDATE category c
            SET name_key = v.key, name = COALESCE(v.name, c.name)
            FROM unnest(CAST(:ids AS integer[]), CAST(:keys AS text[]), CAST(:names AS text[]))
                 AS v(id, key, name)
            WHERE c.id = v.id
            """
        ),
        {"ids": ids, "keys": keys, "names": names},
    )


def upgrade():
    op.add_column("category", sa.Column("name_key", sa.Text(), nullable=True))
    op.drop_index(INDEX, table_name="category")
    connection = op.get_bind()
    # Streamed (a server-side cursor), so a big table is never held in memory at once.
    rows = connection.execute(
        sa.text(
            "SELECT id, company_id, COALESCE(parent_id, 0), name FROM category "
            "ORDER BY company_id, COALESCE(parent_id, 0), id"
        ),
        execution_options={"yield_per": BATCH},
    )
    batch = []
    for row in keys_and_renames(rows):
        batch.append(row)
        if len(batch) == BATCH:
            _write(connection, batch)
            batch = []
    if batch:
        _write(connection, batch)
    op.alter_column("category", "name_key", nullable=False)
    op.create_index(
        INDEX,
        "category",
        ["company_id", sa.text("COALESCE(parent_id, 0)"), "name_key"],
        unique=True,
    )


def downgrade():
    # lower() folds less than the key, so the names stay unique under it (a server whose
    # lower() folds otherwise, e.g. a Turkish LC_CTYPE with "I" → "ı", may refuse).
    op.drop_index(INDEX, table_name="category")
    op.create_index(
        INDEX,
        "category",
        ["company_id", sa.text("COALESCE(parent_id, 0)"), sa.text("lower(name::text)")],
        unique=True,
    )
    op.drop_column("category", "name_key")
