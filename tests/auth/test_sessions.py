"""A password change ends the user's other sessions; a deactivated user is signed out."""

from bizkit.auth.models import User
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx


def test_changing_the_password_signs_out_every_other_session(app, owner, client):
    laptop, phone = client, BrowserlikeClient(app, app.test_client())
    laptop.login(owner)
    phone.login(owner)
    assert phone.get("/dashboard").status_code == 200

    response = laptop.post(
        "/account/password",
        {
            "current_password": owner.password,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302

    assert laptop.get("/dashboard").status_code == 200  # the session that changed it stays
    lost = phone.get("/dashboard")
    assert lost.status_code == 302 and "/login" in lost.headers["Location"]


def test_a_deactivated_user_is_signed_out_on_the_next_request(app, company, auth, owner):
    assert auth.get("/dashboard").status_code == 200
    with company_ctx(app, company.id):
        db.session.get(User, owner.id).active = False
    response = auth.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_a_copied_session_cookie_but_not_other_devices(app, owner, client):
    laptop, phone = client, BrowserlikeClient(app, app.test_client())
    laptop.login(owner)
    phone.login(owner)
    copied = laptop.raw.get_cookie("session").value
    thief = BrowserlikeClient(app, app.test_client())
    thief.raw.set_cookie("session", copied)
    assert thief.get("/dashboard").status_code == 200

    assert laptop.post("/logout").status_code == 302

    lost = thief.get("/dashboard")
    assert lost.status_code == 302 and "/login" in lost.headers["Location"]
    assert phone.get("/dashboard").status_code == 200  # the user's other session goes on
    laptop.login(owner)  # and signing in again on the laptop works
    assert laptop.get("/dashboard").status_code == 200


def test_a_session_from_before_sessions_had_ids_signs_in_again(app, owner, client):
    """Such a cookie (no `sid`) could be replayed unrevokably, and would get a fresh
    account-page limit on every request: it is signed out (the account pages need a
    signed-in user), and a new login works."""
    client.login(owner)
    assert client.get("/dashboard").status_code == 200
    with client.raw.session_transaction() as session:
        del session["sid"]
    old_cookie = client.raw.get_cookie("session").value
    for _ in range(2):  # the same old cookie, sent again, gets the same answer
        client.raw.set_cookie("session", old_cookie)
        lost = client.get("/dashboard")
        assert lost.status_code == 302 and "/login" in lost.headers["Location"]
    client.login(owner)
    assert client.get("/dashboard").status_code == 200
