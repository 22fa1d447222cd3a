"""Changes to how a login signs in, as the person (and an owner reading the audit log) sees
them: a login with a recovery code is in the audit log; switching two-step sign-in on or
off and new recovery codes end the user's other sessions while this one stays; wrong
passwords and codes on the account pages are limited per user."""

import re

import pytest
from sqlalchemy import select

from bizkit.core.models import AuditEntry
from bizkit.extensions import db
from tests.auth.test_two_step import (  # noqa: F401 (an autouse fixture, used by name)
    _away_from_a_step_boundary,
    audit_actions,
    code_at,
    password_step,
    switch_on,
    user_row,
)
from tests.conftest import BrowserlikeClient, UserRef, company_ctx, text_of

pytestmark = pytest.mark.usefixtures("_away_from_a_step_boundary")

NEW_PASSWORD = "a brand new passphrase"


def _client(app) -> BrowserlikeClient:
    return BrowserlikeClient(app, app.test_client())


def _signed_in_with(app, user, code: str) -> BrowserlikeClient:
    client = _client(app)
    password_step(client, user)
    assert client.post("/login/verify", {"code": code}).status_code == 302
    assert client.get("/dashboard").status_code == 200
    return client


def _signed_out(client) -> bool:
    response = client.get("/dashboard")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _codes_on(response) -> list[str]:
    return re.findall(
        r'<code class="secret">([A-Z0-9]{5}-[A-Z0-9]{5})</code>', response.get_data(True)
    )


# -- a login with a recovery code is in the audit log ------------------------------------------


def test_a_recovery_code_sign_in_is_in_the_audit_log_of_every_company_it_opens(
    app, company, owner, make_company, make_user
):
    second = make_company("Corner Shop")
    make_user(second, "staff", email=owner.email)  # the same login, in a second company
    codes = switch_on(app, company, owner)

    client = _client(app)
    password_step(client, owner)
    assert client.post("/login/verify", {"code": "AAAAA-AAAAA"}).status_code == 422
    assert client.post("/login/verify", {"code": codes[0]}).status_code == 302

    for place in (company, second):
        with company_ctx(app, place.id):
            entries = db.session.execute(
                select(AuditEntry).where(AuditEntry.action == "user.recovery_code_sign_in")
            ).scalars()
            found = [(e.actor_id, e.entity_type, e.entity_id, e.entity_label) for e in entries]
        assert found == [(owner.id, "User", owner.id, owner.email)], place.name
    # The owner reads it in their language on the audit log page.
    page = text_of(client.get("/settings/audit"))
    assert "Signed in with a recovery code" in page and owner.email in page


def test_a_sign_in_with_the_app_or_a_wrong_code_writes_no_such_entry(app, company, owner):
    switch_on(app, company, owner)
    client = _client(app)
    password_step(client, owner)
    assert client.post("/login/verify", {"code": "000000"}).status_code == 422
    assert client.post("/login/verify", {"code": code_at(0)}).status_code == 302
    assert "user.recovery_code_sign_in" not in audit_actions(app, company)


# -- the other sessions end ---------------------------------------------------------------------


def test_switching_two_step_on_signs_out_the_other_sessions_and_keeps_this_one(app, company, owner):
    laptop, phone = _client(app), _client(app)
    laptop.login(owner)
    phone.login(owner)
    assert phone.get("/dashboard").status_code == 200

    setup = laptop.post("/account/two-step/setup")
    secret = re.search(r'data-testid="setup-key">([^<]+)<', setup.get_data(True)).group(1)
    assert not _signed_out(phone)  # starting the set-up changes nothing yet
    done = laptop.post("/account/two-step/enable", {"code": code_at(0, secret.replace(" ", ""))})
    assert done.status_code == 200 and len(_codes_on(done)) == 10

    assert _signed_out(phone)
    assert laptop.get("/dashboard").status_code == 200
    assert "Two-step sign-in is on" in text_of(laptop.get("/account/two-step"))


def test_new_recovery_codes_sign_out_the_other_sessions_and_keep_this_one(app, company, owner):
    codes = switch_on(app, company, owner)
    laptop = _signed_in_with(app, owner, code_at(0))
    phone = _signed_in_with(app, owner, codes[0])

    response = laptop.post(
        "/account/two-step/recovery-codes",
        {"renew-password": owner.password, "renew-code": code_at(1)},
    )
    assert response.status_code == 200 and len(_codes_on(response)) == 10

    assert _signed_out(phone)
    assert laptop.get("/dashboard").status_code == 200
    # The password is the same: it still signs in.
    assert password_step(_client(app), owner).headers["Location"].endswith("/login/verify")


def test_switching_two_step_off_signs_out_the_other_sessions_and_keeps_this_one(
    app, company, owner
):
    codes = switch_on(app, company, owner)
    laptop = _signed_in_with(app, owner, code_at(0))
    phone = _signed_in_with(app, owner, codes[0])

    response = laptop.post(
        "/account/two-step/disable",
        {"disable-password": owner.password, "disable-code": codes[1]},
    )
    assert response.status_code == 302

    assert _signed_out(phone)
    assert "Two-step sign-in is off." in text_of(laptop.get("/account/two-step"))


def test_a_wrong_code_when_switching_on_ends_no_session(app, company, owner):
    laptop, phone = _client(app), _client(app)
    laptop.login(owner)
    phone.login(owner)
    laptop.post("/account/two-step/setup")
    assert laptop.post("/account/two-step/enable", {"code": "000000"}).status_code == 422
    assert not _signed_out(phone) and not _signed_out(laptop)


# -- wrong passwords and codes on the account pages are limited -------------------------------


def _change_password(client, current: str, new: str = NEW_PASSWORD):
    return client.post(
        "/account/password", {"current_password": current, "new_password": new, "confirm": new}
    )


def _password_unchanged(app, owner) -> bool:
    return _client(app).login(owner).headers["Location"].endswith(("/dashboard", "/verify"))


def test_the_sixth_wrong_current_password_is_refused_even_when_right(app, auth, owner):
    for _ in range(5):
        wrong = _change_password(auth, "not my password")
        assert wrong.status_code == 422
        assert "The current password is not correct." in text_of(wrong)

    limited = _change_password(auth, owner.password)
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    html = limited.get_data(as_text=True)
    error = re.search(r'<p class="error" id="current_password-error">([^<]+)</p>', html)
    assert error.group(1) == "Too many failed attempts. Try again in 15 minutes."
    assert _password_unchanged(app, owner)  # nothing changed
    assert auth.get("/dashboard").status_code == 200  # and the session goes on


def test_the_limit_is_per_session_so_a_stolen_one_cannot_lock_the_user_out(
    app, company, owner, make_user
):
    stolen, own = _client(app), _client(app)
    stolen.login(owner)
    own.login(owner)
    for _ in range(5):
        assert _change_password(stolen, "guess").status_code == 422
    # The stolen session has used its tries, whether it now guesses right or wrong ...
    assert _change_password(stolen, "guess").status_code == 429
    assert _change_password(stolen, owner.password).status_code == 429
    assert _password_unchanged(app, owner)
    # ... and the cookie sent again (a copy of it) counts as the same session.
    copy = _client(app)
    copy.raw.set_cookie("session", stolen.raw.get_cookie("session").value)
    assert _change_password(copy, owner.password).status_code == 429
    # The user's own session still changes the password (and so ends the stolen one).
    assert _change_password(own, owner.password).status_code == 302

    colleague = make_user(company, "admin")
    theirs = _client(app)
    theirs.login(colleague)
    assert _change_password(theirs, colleague.password).status_code == 302
    # Signing in is not this limit's business.
    renewed = UserRef(owner.id, owner.email, NEW_PASSWORD, owner.membership_id)
    assert _client(app).login(renewed).headers["Location"].endswith("/dashboard")


def test_refusals_that_are_not_a_wrong_password_cost_nothing(app, auth, owner):
    for _ in range(6):
        same = _change_password(auth, owner.password, owner.password)
        assert same.status_code == 422
        assert "Choose a password different from the current one." in text_of(same)
    assert _change_password(auth, owner.password).status_code == 302


def test_wrong_passwords_and_codes_on_the_two_step_forms_share_the_limit(app, company, owner):
    codes = switch_on(app, company, owner)
    client = _signed_in_with(app, owner, code_at(0))
    assert _change_password(client, "guess").status_code == 422
    for data in (
        {"disable-password": "guess", "disable-code": codes[0]},
        {"disable-password": owner.password, "disable-code": "123456"},
    ):
        assert client.post("/account/two-step/disable", data).status_code == 422
    for data in (
        {"renew-password": "guess", "renew-code": codes[0]},
        {"renew-password": owner.password, "renew-code": "BBBBB-BBBBB"},
    ):
        assert client.post("/account/two-step/recovery-codes", data).status_code == 422

    renew = client.post(
        "/account/two-step/recovery-codes",
        {"renew-password": owner.password, "renew-code": codes[0]},
    )
    assert renew.status_code == 429
    assert 'id="renew-password-error"' in renew.get_data(as_text=True)
    assert "Too many failed attempts. Try again in 15 minutes." in text_of(renew)
    assert not _codes_on(renew)
    off = client.post(
        "/account/two-step/disable",
        {"disable-password": owner.password, "disable-code": codes[0]},
    )
    assert off.status_code == 429
    assert 'id="disable-password-error"' in off.get_data(as_text=True)
    # Nothing changed: still on, and the old recovery codes still work.
    assert user_row(app, owner).totp_enabled_at is not None
    other = _client(app)
    password_step(other, owner)
    assert other.post("/login/verify", {"code": codes[0]}).status_code == 302


def test_wrong_codes_when_switching_on_are_limited(app, auth, owner):
    setup = auth.post("/account/two-step/setup")
    secret = re.search(r'data-testid="setup-key">([^<]+)<', setup.get_data(True)).group(1)
    for _ in range(5):
        assert auth.post("/account/two-step/enable", {"code": "000000"}).status_code == 422
    limited = auth.post("/account/two-step/enable", {"code": code_at(0, secret.replace(" ", ""))})
    assert limited.status_code == 429
    assert 'id="code-error"' in limited.get_data(as_text=True)
    assert "Too many failed attempts. Try again in 15 minutes." in text_of(limited)
    assert secret in limited.get_data(as_text=True)  # the same key, for later
    assert user_row(app, owner).totp_enabled_at is None


def test_the_refusal_speaks_the_readers_language(app, company, make_user):
    from flask_babel import force_locale, ngettext

    person = make_user(company, "owner", locale="cs")
    client = _client(app)
    client.login(person)
    for _ in range(5):
        _change_password(client, "guess")
    limited = _change_password(client, person.password)
    assert limited.status_code == 429
    with app.test_request_context(), force_locale("cs"):
        expected = ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            15,
        )
    assert expected.startswith("Příliš") and expected in text_of(limited)
