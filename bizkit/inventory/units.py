"""Units of measure: the default unit is stored as a code and shown in the reader's language;
any other unit is stored and shown as it was typed.

`Product.unit` holds "pcs" for pieces (the default, and what the demo data, the benchmark
seed and older rows hold) whatever the language of the person who saved it: a Czech user
sees and types "ks", a Polish one "szt.", and both are saved as "pcs". Hours ("h") are a
code too, as Polish writes them "godz.". Symbols such as "kg" or "l" read the same in
every language BizKit speaks, so they need no code and are kept as typed, as is anything
else ("bottle", "bal."). The stored value, the one an export or an integration reads,
stays the code.
"""

from __future__ import annotations

from flask_babel import pgettext

DEFAULT_UNIT = "pcs"
KNOWN_UNITS = ("pcs", "h")


def unit_label(code: str | None) -> str:
    """A stored unit as the reader writes it: "pcs" → "ks" in Czech; "kg", "bottle" as stored.
    (Looked up at each call, so it follows the request's or a forced language.)"""
    if code == "pcs":
        return pgettext("unit of measure, short", "pcs")
    if code == "h":
        return pgettext("unit of measure, short", "h")
    return code or ""


def _comparable(text: str) -> str:
    return text.strip().rstrip(".").casefold()


def unit_code(typed: str | None) -> str | None:
    """What the catalog stores for a typed unit: a known unit's code when the text is the code
    or the unit's label in the reader's language ("ks", "KS" or "ks." in Czech → "pcs"),
    otherwise the text as typed (stripped)."""
    if typed is None:
        return None
    value = typed.strip()
    wanted = _comparable(value)
    for code in KNOWN_UNITS:
        if wanted and wanted in (_comparable(code), _comparable(unit_label(code))):
            return code
    return value
