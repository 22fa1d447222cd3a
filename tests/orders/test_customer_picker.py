"""The customer picker without JavaScript: its Find button sends what a browser would
(read from the page's HTML, as a browser reads it), never the CSRF token in a URL, and
shows the matches with everything typed kept; with htmx, search as you type is as before."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select

from bizkit.extensions import db
from bizkit.orders.models import Order
from tests.conftest import company_ctx, text_of
from tests.orders.conftest import load_order

HTMX = {"HX-Request": "true"}


@dataclass
class Form:
    attrs: dict
    controls: list = field(default_factory=list)  # [tag, attrs, value]


class FormReader(HTMLParser):
    """The forms of a page and their controls, as a browser without JavaScript sees them
    (the contents of <noscript> are markup then)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.open: list | None = None  # a <button>, <textarea> or <select> being read

    def handle_starttag(self, tag, attrs):
        attrs = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self.current = Form(attrs)
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag in ("input", "button", "textarea", "select"):
            control = [tag, attrs, "" if tag == "textarea" else attrs.get("value", "")]
            self.current.controls.append(control)
            self.open = control if tag != "input" else None
        elif tag == "option" and self.open and self.open[0] == "select":
            # The selected option's value, else the first one's.
            if "selected" in attrs or "_options" not in self.open[1]:
                self.open[2] = attrs.get("value", "")
            self.open[1]["_options"] = True

    def handle_data(self, data):
        if self.open and self.open[0] == "textarea":
            self.open[2] += data
        elif self.open and self.open[0] == "button":
            self.open[1].setdefault("_text", "")
            self.open[1]["_text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif self.open and tag == self.open[0]:
            if tag == "textarea":  # a newline right after <textarea> is not its text
                self.open[2] = self.open[2].removeprefix("\r").removeprefix("\n")
            self.open = None


def submission(html: str, button: str, form_action: str) -> tuple[str, str, list]:
    """(method, URL, fields) a browser sends when `button` (its text) of the form whose
    action is `form_action` is pressed."""
    reader = FormReader()
    reader.feed(html)
    for form in reader.forms:
        if urlsplit(form.attrs.get("action", "")).path != form_action:
            continue
        for tag, attrs, _value in form.controls:
            if tag == "button" and attrs.get("_text", "").strip() == button:
                submitter = attrs
                break
        else:
            continue
        method = (submitter.get("formmethod") or form.attrs.get("method") or "get").lower()
        action = submitter.get("formaction") or form.attrs.get("action", "")
        fields = []
        for tag, attrs, value in form.controls:
            name = attrs.get("name")
            if not name or "disabled" in attrs:
                continue
            if tag == "button" and attrs is not submitter:
                continue
            kind = attrs.get("type", "text").lower()
            if tag == "input" and kind in ("radio", "checkbox") and "checked" not in attrs:
                continue
            if tag == "input" and kind in ("submit", "image", "reset", "button"):
                continue
            fields.append((name, value))
        if method == "get":
            action = action.split("?")[0] + "?" + urlencode(fields)
        return method, action, fields
    raise AssertionError(f"no button {button!r} in a form")


def typed(fields, **values) -> dict:
    """The form's fields with what a person typed in some of them."""
    data = dict(fields)
    data.update(values)
    return data


def test_find_on_the_new_order_form_posts_and_keeps_what_was_typed(
    app, auth, company, make_customer
):
    dvorak = make_customer("Antonín Dvořák")
    make_customer("Jana Nováková")
    page = auth.get("/orders/new").get_data(as_text=True)
    method, url, fields = submission(page, "Find", "/orders/new")
    # Not a GET of the whole form (the token, notes and all in the address bar, the
    # history, the server's log and the next page's Referer): the form's own POST.
    assert method == "post" and urlsplit(url).path == "/orders/new" and "?" not in url
    assert "csrf_token" in dict(fields)  # in the body, where it belongs
    response = auth.post(url, typed(fields, customer_q="dvorak", notes="Window seat"), csrf=False)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'name="customer_id" value="{dvorak}"' in html and "Jana Nováková" not in html
    assert 'value="dvorak"' in html and "Window seat" in html  # nothing typed is lost
    assert 'class="error"' not in html  # a search, not a refused order
    with company_ctx(app, company.id):
        assert db.session.execute(select(Order)).first() is None
    # Then the order is made with the customer picked from what was found.
    method, url, fields = submission(html, "Create order", "/orders/new")
    response = auth.post(url, typed(fields, customer_id=str(dvorak)), csrf=False)
    assert response.status_code == 302


def test_find_on_the_order_page_posts_and_saves_nothing(
    app, auth, company, make_order, make_customer
):
    jana = make_customer("Jana Nováková")
    order_id = make_order(company, notes="Ring first")
    page = auth.get(f"/orders/{order_id}?edit=details").get_data(as_text=True)
    method, url, fields = submission(page, "Find", f"/orders/{order_id}/details")
    assert method == "post" and urlsplit(url).path == f"/orders/{order_id}/details"
    assert "?" not in url
    response = auth.post(url, typed(fields, customer_q="novak", notes="Changed"), csrf=False)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html  # the whole page, as the browser navigated to it
    details = html[html.index('id="order-details"') :]
    assert f'name="customer_id" value="{jana}"' in details and "Changed" in details
    assert 'class="error"' not in details and "Saved." not in details
    with company_ctx(app, company.id):
        order = load_order(order_id)
        assert (order.customer_id, order.notes) == (None, "Ring first")  # nothing saved


def test_no_find_control_puts_the_token_in_a_url(auth, company, make_order):
    """Whatever submits the picker's search without JavaScript: no GET form holding the
    token, no button turning the POST form into a GET."""
    order_id = make_order(company)
    for url in ("/orders/new", f"/orders/{order_id}"):
        reader = FormReader()
        reader.feed(auth.get(url).get_data(as_text=True))
        for form in reader.forms:
            names = {attrs.get("name") for _tag, attrs, _value in form.controls}
            if "csrf_token" not in names:
                continue
            assert (form.attrs.get("method") or "get").lower() == "post", form.attrs
            for _tag, attrs, _value in form.controls:
                assert attrs.get("formmethod", "post").lower() == "post", (url, attrs)


def test_search_as_you_type_still_answers_the_choices(auth, company, make_customer):
    dvorak = make_customer("Antonín Dvořák")
    page = auth.get("/orders/new").get_data(as_text=True)
    assert 'hx-get="/orders/new/customers"' in page and 'hx-target="#customer-options"' in page
    choices = auth.get("/orders/new/customers?customer_q=dvorak&customer_id=", headers=HTMX)
    assert f'value="{dvorak}"' in choices.text and "Antonín Dvořák" in text_of(choices)
    assert "csrf_token" not in choices.text
