from tests.conftest import text_of


def test_pages_render(auth, make_customer):
    customer_id = make_customer(
        "Antonín Dvořák", email="antonin@example.com", phone="+420 777 123 456", tags="vip, opera"
    )
    for path in (
        "/customers/",
        "/customers/new",
        f"/customers/{customer_id}",
        f"/customers/{customer_id}/edit",
        "/customers/groups",
        "/customers/import",
        f"/customers/{customer_id}/fields/email/edit",
    ):
        response = auth.get(path)
        assert response.status_code == 200, (path, text_of(response)[:500])
    page = text_of(auth.get(f"/customers/{customer_id}"))
    assert "+420 777 123 456" in page
    assert "vip" in page


def test_inline_editing_is_labelled_for_assistive_technology(auth, make_customer):
    import re

    customer_id = make_customer("Antonín Dvořák", email="antonin@example.com")
    page = auth.get(f"/customers/{customer_id}").get_data(as_text=True)
    # Each "Edit" link says which field it edits.
    assert re.search(r'>Edit<span class="visually-hidden"> E-mail</span></a>', page)
    editing = auth.get(
        f"/customers/{customer_id}/fields/email/edit", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert re.search(r'<label class="inline-field__label" for="email">E-mail</label>', editing)
    assert 'id="email"' in editing
    # Two errors of one field: one element the input points to, not two with its id.
    refused = auth.post(
        f"/customers/{customer_id}/fields/name", {"name": ""}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert refused.count('id="inline-name-error"') == 1
    assert 'aria-describedby="inline-name-error"' in refused
