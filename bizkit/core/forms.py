"""Small helpers shared by the modules' WTForms forms."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """`[(value, label), ...]` as the option objects WTForms 3.3+ expects."""
    return [SelectChoice(value, label) for value, label in pairs]
