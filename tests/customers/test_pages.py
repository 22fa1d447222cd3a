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
