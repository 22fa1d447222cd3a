"""Active search: accent-insensitive, phone with or without spaces, stable keyset pages."""

import re

import pytest

from tests.conftest import count_queries, text_of


def names(response) -> list[str]:
    return re.findall(r'<td><a href="/customers/\d+">([^<]+)</a>', response.get_data(as_text=True))


def test_dvorak_finds_dvorak_with_accents(auth, make_customer):
    make_customer("Antonín Dvořák")
    make_customer("Bedřich Smetana")
    assert names(auth.get("/customers/?q=dvorak")) == ["Antonín Dvořák"]
    assert names(auth.get("/customers/?q=DVOŘÁK")) == ["Antonín Dvořák"]
    assert names(auth.get("/customers/?q=antonin dvo")) == ["Antonín Dvořák"]


def test_search_covers_email_company_vat_and_notes(auth, make_customer):
    make_customer("A", email="unique.mail@example.com")
    make_customer("B", company_name="Čokoládovna Ltd")
    make_customer("C", vat_id="CZ25596641")
    make_customer("D", notes="Allergic to peanuts")
    assert names(auth.get("/customers/?q=unique.mail")) == ["A"]
    assert names(auth.get("/customers/?q=cokoladovna")) == ["B"]
    assert names(auth.get("/customers/?q=25596641")) == ["C"]
    assert names(auth.get("/customers/?q=peanut")) == ["D"]


@pytest.mark.parametrize("query", ["777123456", "777 123 456", "+420 777 123 456", "777-123-456"])
def test_a_phone_number_finds_its_customer_with_or_without_spaces(auth, make_customer, query):
    make_customer("Phone Owner", phone="+420 777 123 456")
    make_customer("Someone Else", phone="+420 608 000 111")
    assert names(auth.get("/customers/", query_string={"q": query})) == ["Phone Owner"]


@pytest.mark.parametrize(
    "query", ["0911 222 333", "00421 911 222 333", "+421 911 222 333", "911222333"]
)
def test_a_phone_number_dialled_with_its_prefixes_finds_its_customer(auth, make_customer, query):
    make_customer("Slovak Owner", phone="+421 911 222 333")
    make_customer("Someone Else", phone="+420 608 000 111")
    assert names(auth.get("/customers/", query_string={"q": query})) == ["Slovak Owner"]


def test_percent_and_underscore_are_literal(auth, make_customer):
    make_customer("100% Bio")
    make_customer("Plain")
    assert names(auth.get("/customers/", query_string={"q": "%"})) == ["100% Bio"]


def test_tag_filter_and_sorting(auth, make_customer):
    make_customer("Zora", tags="vip")
    make_customer("Adam", tags="vip")
    make_customer("Milan")
    assert names(auth.get("/customers/?tag=vip")) == ["Adam", "Zora"]
    assert names(auth.get("/customers/?tag=vip&sort=-name")) == ["Zora", "Adam"]
    assert names(auth.get("/customers/?sort=-created"))[0] == "Milan"


def test_names_are_in_alphabetical_order_whatever_their_accents_and_case(app, auth, make_customer):
    """Under the C collation "Čapek" and "Łukasz" sorted after "Zuzana"; the list sorts
    the folded name, through its index, also across pages."""
    for name in ("Zuzana Nová", "Łukasz Nowak", "Čapek Karel", "adam Malý", "Šimek Jan", "Dana"):
        make_customer(name)
    expected = ["adam Malý", "Čapek Karel", "Dana", "Łukasz Nowak", "Šimek Jan", "Zuzana Nová"]
    assert names(auth.get("/customers/")) == expected
    assert names(auth.get("/customers/?sort=-name")) == expected[::-1]
    shown, url = [], "/customers/?per_page=10"
    for n in range(10):
        make_customer(f"Čech {n}")
    while url:
        html = auth.get(url, headers={"HX-Request": "true"} if shown else {}).get_data(as_text=True)
        shown += re.findall(r'<a href="/customers/\d+">([^<]+)</a>', html)
        found = re.search(r'hx-get="([^"]*cursor=[^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert shown == [*expected[:2], *(f"Čech {n}" for n in range(10)), *expected[2:]]


def test_htmx_search_returns_only_the_results_fragment(auth, make_customer):
    make_customer("Antonín Dvořák")
    response = auth.get("/customers/?q=dvor", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="customer-results"' in html and "Dvořák" in html


def test_pages_are_stable_with_equal_names(auth, make_customer):
    ids = [make_customer("Jan Novák") for _ in range(120)]
    seen: list[str] = []
    response = auth.get("/customers/?q=novak")
    html = response.get_data(as_text=True)
    seen += re.findall(r'<a href="/customers/(\d+)">Jan Novák', html)
    cursor = re.search(r'cursor=([^"&]+)', html)
    while cursor:
        part = auth.get(
            f"/customers/?q=novak&cursor={cursor.group(1)}", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
        assert "<html" not in part
        seen += re.findall(r'<a href="/customers/(\d+)">Jan Novák', part)
        cursor = re.search(r'cursor=([^"&]+)', part)
    assert sorted(map(int, seen)) == sorted(ids)
    assert len(seen) == len(set(seen)) == 120


def test_a_broken_cursor_starts_from_the_top(auth, make_customer):
    make_customer("Adam")
    assert names(auth.get("/customers/?cursor=garbage!!")) == ["Adam"]


def test_query_count_does_not_grow_with_the_rows_shown(app, auth, make_customer):
    from bizkit.customers.operations import create_group  # noqa: F401

    for n in range(60):
        make_customer(f"Customer {n:02d}", tags="regular", email=f"c{n}@example.com")
    few = count_queries(app, auth, "/customers/?q=customer 0")
    many = count_queries(app, auth, "/customers/?q=customer")
    assert few == many
    assert many <= 8
    assert len(names(auth.get("/customers/?q=customer"))) == 50
    assert text_of(auth.get("/customers/?q=nobody-at-all")).count("No customers match.") == 1
