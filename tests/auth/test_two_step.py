"""Two-step sign-in (TOTP, RFC 6238) as a person sees it: setting it up from the account
page, the code after the password, recovery codes, switching it off."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from bizkit.auth import two_step
from bizkit.auth.models import RecoveryCode, User
from bizkit.core import crypto
from bizkit.core.models import AuditEntry
from bizkit.core.timezones import utcnow
from bizkit.extensions import db
from tests.conftest import BrowserlikeClient, company_ctx, text_of

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(step_offset: int = 0, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * step_offset)


def switch_on(app, company, user, secret: str = SECRET, last_step=None) -> list[str]:
    """Two-step sign-in on for `user`, as if set up; returns the recovery codes."""
    with company_ctx(app, company.id):
        row = db.session.get(User, user.id)
        row.totp_secret = crypto.encrypt(secret).decode()
        row.totp_enabled_at = utcnow()
        row.totp_last_step = last_step
        return two_step._new_recovery_codes(row)


def user_row(app, user) -> User:
    with company_ctx(app):
        row = db.session.get(User, user.id)
        db.session.expunge(row)
        return row


def audit_actions(app, company) -> list[str]:
    with company_ctx(app, company.id):
        return list(db.session.execute(select(AuditEntry.action)).scalars())


def password_step(client, user, **extra):
    return client.post("/login", {"email": user.email, "password": user.password, **extra})


@pytest.fixture(autouse=True)
def _away_from_a_step_boundary():
    """Codes are computed here and checked by the app a moment later: not across the
    change of a 30-second step, where "the current code" would mean two things."""
    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.1)


@pytest.fixture
def totp_owner(app, company, owner):
    owner_codes = switch_on(app, company, owner)
    return owner, owner_codes


# -- setting it up -------------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_and_the_key_then_a_code_switches_it_on(
    app, auth, company, owner
):
    page = auth.get("/account/two-step")
    assert page.status_code == 200
    assert "Two-step sign-in is off" in text_of(page)
    # The user menu links to it, next to "Change password".
    assert 'href="/account/two-step"' in page.get_data(as_text=True)

    setup = auth.post("/account/two-step/setup")
    assert setup.status_code == 200
    html = setup.get_data(as_text=True)
    qr = re.search(r'<div data-testid="qr-code">(.*?)</div>', html, re.S).group(1)
    assert qr.strip().startswith("<svg") and "style=" not in qr and "<script" not in qr
    key = re.search(r'data-testid="setup-key">([^<]+)<', html).group(1)
    groups = key.split(" ")
    assert all(len(g) == 4 for g in groups) and len(groups) == 8
    secret = key.replace(" ", "")

    # Stored encrypted, and not in use yet: the next login asks for no code.
    row = user_row(app, owner)
    assert row.totp_secret and secret not in row.totp_secret
    assert row.totp_enabled_at is None

    wrong = auth.post("/account/two-step/enable", {"code": "000000"})
    assert wrong.status_code == 422
    assert "This code is not right" in text_of(wrong)
    assert 'id="code-error"' in wrong.get_data(as_text=True)  # next to the field
    assert key in wrong.get_data(as_text=True)  # the same key, to try again
    assert user_row(app, owner).totp_enabled_at is None

    done = auth.post("/account/two-step/enable", {"code": code_at(0, secret)})
    assert done.status_code == 200
    assert "Two-step sign-in is on." in text_of(done)
    codes = re.findall(
        r'<code class="secret">([A-Z0-9]{5}-[A-Z0-9]{5})</code>', done.get_data(True)
    )
    assert len(codes) == 10 and len(set(codes)) == 10
    assert user_row(app, owner).totp_enabled_at is not None
    with company_ctx(app):
        hashes = db.session.execute(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == owner.id)
        ).scalars()
        assert not {h for h in hashes} & {c.replace("-", "") for c in codes}
    assert "user.two_step_enable" in audit_actions(app, company)

    # Shown once: the page afterwards says how many are left, not which.
    later = auth.get("/account/two-step")
    assert "10 unused recovery codes left." in text_of(later)
    assert codes[0] not in later.get_data(as_text=True)


def test_the_pending_secret_gives_no_second_step_until_confirmed(app, auth, client, owner):
    auth.post("/account/two-step/setup")
    other = BrowserlikeClient(app, app.test_client())
    assert password_step(other, owner).headers["Location"].endswith("/dashboard")


# -- the second step of a login ------------------------------------------------------------


def test_password_alone_does_not_sign_in_and_a_code_does(app, client, company, totp_owner):
    owner, _codes = totp_owner
    response = password_step(client, owner)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/verify")
    with client.raw.session_transaction() as session:
        assert "_user_id" not in session
    # Waiting for the code opens nothing.
    for url in ("/dashboard", "/account/two-step", "/settings/users", "/account/password"):
        assert client.get(url).status_code == 302, url
    page = client.get("/login/verify")
    assert page.status_code == 200
    assert "Enter the 6-digit code" in text_of(page)

    done = client.post("/login/verify", {"code": code_at(0)})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/dashboard")
    assert "Acme Bistro" in text_of(client.get("/dashboard"))
    with client.raw.session_transaction() as session:
        assert session.get("sid") and "two_step_pending" not in session
    assert user_row(app, owner).last_login_at is not None


def test_the_next_address_survives_the_second_step(client, totp_owner):
    owner, _codes = totp_owner
    password_step(client, owner, next="/settings/company")
    done = client.post("/login/verify", {"code": code_at(0)})
    assert done.headers["Location"] == "/settings/company"


def test_a_wrong_code_is_refused_next_to_the_field(client, totp_owner):
    owner, _codes = totp_owner
    password_step(client, owner)
    wrong = client.post("/login/verify", {"code": "123 456"})
    assert wrong.status_code == 422
    assert "This code is not right." in text_of(wrong)
    assert 'id="code-error"' in wrong.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_a_code_is_taken_once_and_never_for_an_earlier_step(app, client, totp_owner):
    owner, _codes = totp_owner
    password_step(client, owner)
    assert client.post("/login/verify", {"code": code_at(0)}).status_code == 302
    client.post("/logout")

    again = BrowserlikeClient(app, app.test_client())
    password_step(again, owner)
    replay = again.post("/login/verify", {"code": code_at(0)})
    assert replay.status_code == 422
    assert "This code was used already. Wait for the next one." in text_of(replay)
    earlier = again.post("/login/verify", {"code": code_at(-1)})
    assert earlier.status_code == 422
    # One step ahead (a phone whose clock runs fast) is accepted, once.
    assert again.post("/login/verify", {"code": code_at(1)}).status_code == 302


def test_a_clock_one_step_behind_is_accepted_two_steps_are_not(client, totp_owner):
    owner, _codes = totp_owner
    password_step(client, owner)
    assert client.post("/login/verify", {"code": code_at(-2)}).status_code == 422
    assert client.post("/login/verify", {"code": code_at(-1)}).status_code == 302


def test_a_recovery_code_signs_in_once(app, client, totp_owner):
    owner, codes = totp_owner
    password_step(client, owner)
    done = client.post("/login/verify", {"code": codes[3].lower().replace("-", " ")})
    assert done.status_code == 302
    page = client.get("/dashboard")
    assert "You signed in with a recovery code. 9 recovery codes are left." in text_of(page)

    again = BrowserlikeClient(app, app.test_client())
    password_step(again, owner)
    refused = again.post("/login/verify", {"code": codes[3]})
    assert refused.status_code == 422
    assert again.post("/login/verify", {"code": codes[4]}).status_code == 302


def test_the_code_must_come_within_five_minutes(client, totp_owner):
    owner, _codes = totp_owner
    password_step(client, owner)
    with client.raw.session_transaction() as session:
        pending = session["two_step_pending"]
        pending["at"] -= 5 * 60 + 1
        session["two_step_pending"] = pending
    late = client.post("/login/verify", {"code": code_at(0)})
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")
    assert "Too much time has passed" in text_of(client.get("/login"))
    assert client.get("/dashboard").status_code == 302


def test_the_verify_page_without_a_password_leads_to_the_login(client):
    response = client.get("/login/verify")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_a_password_reset_between_the_steps_ends_the_pending_login(
    app, client, company, totp_owner
):
    owner, _codes = totp_owner
    password_step(client, owner)
    with company_ctx(app, company.id):
        db.session.get(User, owner.id).set_password("another password here")
    response = client.post("/login/verify", {"code": code_at(0)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/dashboard").status_code == 302


def test_a_one_time_password_is_replaced_after_the_code(app, client, company, totp_owner):
    owner, _codes = totp_owner
    with company_ctx(app, company.id):
        db.session.get(User, owner.id).must_change_password = True
    password_step(client, owner)
    done = client.post("/login/verify", {"code": code_at(0)})
    assert done.headers["Location"].endswith("/account/password")


def test_wrong_codes_count_against_the_login_rate_limit(client, totp_owner):
    owner, _codes = totp_owner
    ip = {"REMOTE_ADDR": "10.0.0.7"}
    for _ in range(2):  # wrong passwords and wrong codes share the 5 tries
        assert (
            client.post(
                "/login", {"email": owner.email, "password": "wrong"}, environ_base=ip
            ).status_code
            == 422
        )
    client.post("/login", {"email": owner.email, "password": owner.password}, environ_base=ip)
    for _ in range(3):
        assert client.post("/login/verify", {"code": "000000"}, environ_base=ip).status_code == 422
    limited = client.post("/login/verify", {"code": code_at(0)}, environ_base=ip)
    assert limited.status_code == 429
    assert "Try again in" in text_of(limited)
    again = client.post(
        "/login", {"email": owner.email, "password": owner.password}, environ_base=ip
    )
    assert again.status_code == 429


def test_a_right_code_does_not_count_against_the_limit(app, totp_owner):
    owner, _codes = totp_owner
    ip = {"REMOTE_ADDR": "10.0.0.8"}
    for offset in (-1, 0, 1):
        client = BrowserlikeClient(app, app.test_client())
        client.post("/login", {"email": owner.email, "password": owner.password}, environ_base=ip)
        ok = client.post("/login/verify", {"code": code_at(offset)}, environ_base=ip)
        assert ok.status_code == 302
    for _ in range(3):
        client = BrowserlikeClient(app, app.test_client())
        response = client.post(
            "/login", {"email": owner.email, "password": owner.password}, environ_base=ip
        )
        assert response.headers["Location"].endswith("/login/verify")


# -- switching it off, new recovery codes ---------------------------------------------------


def _signed_in(app, user) -> BrowserlikeClient:
    client = BrowserlikeClient(app, app.test_client())
    password_step(client, user)
    assert client.post("/login/verify", {"code": code_at(0)}).status_code == 302
    return client


def test_switching_off_needs_the_password_and_a_code(app, company, totp_owner):
    owner, codes = totp_owner
    client = _signed_in(app, owner)
    page = client.get("/account/two-step")
    assert "Two-step sign-in is on" in text_of(page)

    no_password = client.post(
        "/account/two-step/disable", {"disable-password": "wrong", "disable-code": code_at(1)}
    )
    assert no_password.status_code == 422
    assert "The password is not correct." in text_of(no_password)
    assert 'id="disable-password-error"' in no_password.get_data(as_text=True)
    wrong_code = client.post(
        "/account/two-step/disable", {"disable-password": owner.password, "disable-code": "1"}
    )
    assert wrong_code.status_code == 422
    assert "This code is not right." in text_of(wrong_code)
    assert user_row(app, owner).totp_enabled_at is not None

    done = client.post(
        "/account/two-step/disable",
        {"disable-password": owner.password, "disable-code": codes[0]},
    )
    assert done.status_code == 302
    assert "Two-step sign-in is off." in text_of(client.get("/account/two-step"))
    row = user_row(app, owner)
    assert row.totp_secret is None and row.totp_enabled_at is None
    with company_ctx(app):
        assert not db.session.execute(
            select(RecoveryCode).where(RecoveryCode.user_id == owner.id)
        ).first()
    assert "user.two_step_disable" in audit_actions(app, company)
    # The password alone signs in again.
    other = BrowserlikeClient(app, app.test_client())
    assert password_step(other, owner).headers["Location"].endswith("/dashboard")


def test_new_recovery_codes_replace_the_old_ones(app, company, totp_owner):
    owner, codes = totp_owner
    client = _signed_in(app, owner)
    refused = client.post(
        "/account/two-step/recovery-codes",
        {"renew-password": owner.password, "renew-code": code_at(0)},  # used at login
    )
    assert refused.status_code == 422
    assert "used already" in text_of(refused)
    response = client.post(
        "/account/two-step/recovery-codes",
        {"renew-password": owner.password, "renew-code": code_at(1)},
    )
    assert response.status_code == 200
    new_codes = re.findall(
        r'<code class="secret">([A-Z0-9]{5}-[A-Z0-9]{5})</code>', response.get_data(True)
    )
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert "user.recovery_codes_regenerate" in audit_actions(app, company)

    other = BrowserlikeClient(app, app.test_client())
    password_step(other, owner)
    assert other.post("/login/verify", {"code": codes[1]}).status_code == 422
    assert other.post("/login/verify", {"code": new_codes[1]}).status_code == 302


def test_recovery_codes_still_work_when_the_secret_cannot_be_read(app, client, company, owner):
    codes = switch_on(app, company, owner)
    with company_ctx(app, company.id):
        db.session.get(User, owner.id).totp_secret = "not-a-fernet-token"  # key changed
    password_step(client, owner)
    assert client.post("/login/verify", {"code": code_at(0)}).status_code == 422
    assert client.post("/login/verify", {"code": codes[0]}).status_code == 302
