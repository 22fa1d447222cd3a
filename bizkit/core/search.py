"""Substring search on a folded text column (`search_text`: accents and case folded by
`bizkit_fold`, with a trigram GIN index), the one way every list searches."""

from __future__ import annotations

from sqlalchemy import func


def contains_folded(column, term: str):
    """`column LIKE '%' || bizkit_fold(term) || '%'`, the term's LIKE wildcards escaped.

    The pattern is a bound parameter; the trigram index serves it because every plan is
    made for its parameters (statements are sent unprepared unless marked plan-stable,
    bizkit/core/plans.py: never mark a search).
    """
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(func.concat("%", func.bizkit_fold(escaped), "%"))


# Alphabetical order of a `name` column, accents and case folded: under the `C`
# collation (the embedded PostgreSQL, many servers) "Čapek" would sort after "Zuzana".
# Lists that page by name index this expression: (company_id, bizkit_fold(name), id).
SORT_NAME = "bizkit_fold(name::text)"


def sort_name(column):
    """The folded sort key of a name column (the expression SORT_NAME indexes)."""
    return func.bizkit_fold(column)
