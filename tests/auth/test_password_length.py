"""Every password field takes at most 500 characters: one that could be set can be used."""

from bizkit.auth import operations as auth_ops
from bizkit.core.errors import BusinessRuleError
from tests.conftest import BrowserlikeClient, company_ctx, text_of


def _change(client, current, new):
    return client.post(
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": new},
    )


def test_a_password_too_long_to_sign_in_with_cannot_be_set(app, auth, owner):
    response = _change(auth, owner.password, "x" * 100_000)
    assert response.status_code == 422
    assert "Field cannot be longer than 500 characters." in text_of(response)
    again = BrowserlikeClient(app, app.test_client())
    assert again.login(owner).status_code == 302  # the old password still works
    assert "/login" not in again.get("/dashboard").headers.get("Location", "")


def test_the_longest_password_that_can_be_set_signs_in(app, auth, owner):
    longest = "y" * 500
    assert _change(auth, owner.password, longest).status_code == 302
    other = BrowserlikeClient(app, app.test_client())
    response = other.post("/login", {"email": owner.email, "password": longest})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    too_long = other.post("/login", {"email": owner.email, "password": longest + "y"})
    assert too_long.status_code == 422


def test_the_operations_refuse_a_longer_password_too(app, company):
    with company_ctx(app, company.id):
        try:
            auth_ops.create_user("long@example.com", "Long", "z" * 501)
        except BusinessRuleError as error:
            assert error.field == "password"
        else:
            raise AssertionError("a 501-character password was accepted")
