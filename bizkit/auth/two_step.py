"""Two-step sign-in: a time-based code (TOTP, RFC 6238: 30 s steps, 6 digits) from an
authenticator app after the password, or one of ten one-time recovery codes.

The secret is kept encrypted (bizkit.core.crypto); while the user sets it up it is
stored with `totp_enabled_at` empty and does nothing until a code from the app
confirms it. A code is accepted for the step before, the current step and the one
after (clocks drift), and only for a step later than the last one accepted, so a code
seen over someone's shoulder cannot be used again. Recovery codes have 50 random bits
each, so a plain SHA-256 is enough to keep them (nothing to guess from the hash that
the login rate limit does not already stop).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from bizkit.auth.models import Membership, RecoveryCode, User
from bizkit.core import audit, crypto, tenancy
from bizkit.core.errors import BusinessRuleError
from bizkit.core.timezones import utcnow
from bizkit.extensions import db

ISSUER = "BizKit"
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed
_RECOVERY_LENGTH = 10


# -- setting up --------------------------------------------------------------------------


def start_setup(user: User) -> str:
    """A new secret for the user to add to their app (not in use until confirmed)."""
    if user.two_step_enabled:
        raise BusinessRuleError(_("Two-step sign-in is already on."))
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    user.totp_secret = crypto.encrypt(secret).decode()
    user.totp_last_step = None
    db.session.flush()
    return secret


def secret_of(user: User) -> str | None:
    """The user's secret in clear, or None (none set, or the encryption key changed)."""
    return crypto.decrypt(user.totp_secret.encode()) if user.totp_secret else None


def provisioning_uri(user: User, secret: str) -> str:
    """What the QR code holds: the otpauth:// address authenticator apps read."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=ISSUER
    )


def key_in_groups(secret: str) -> str:
    """The secret as typed by hand: groups of four characters."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enable(user: User, code: str, *, now: float | None = None) -> list[str]:
    """Switch two-step sign-in on once a code from the app proves it was set up; returns
    the recovery codes, in clear this once. The user's other sessions end (the session
    fingerprint covers `totp_enabled_at`, User.session_fingerprint): one begun with a
    stolen password does not outlive the second step meant to stop it."""
    if user.two_step_enabled:
        raise BusinessRuleError(_("Two-step sign-in is already on."))
    secret = secret_of(user)
    if secret is None:
        raise BusinessRuleError(_("Start the set-up again."), field="code")
    step = _matching_step(secret, _digits(code), now)
    if step is None:
        raise BusinessRuleError(
            _("This code is not right. Check the time on your phone and try the newest code."),
            field="code",
        )
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record(user, "user.two_step_enable", user, {"two_step": [False, True]}, label=user.email)
    db.session.flush()
    return codes


# -- using it ----------------------------------------------------------------------------


def verify(user: User, code: str, *, now: float | None = None) -> str:
    """Check a code from the app, or a recovery code, for this user, and use it up.

    Returns "app" or "recovery"; raises BusinessRuleError (field "code") when it is
    wrong or was used already. The user's row is locked, so two requests with the same
    code cannot both pass."""
    locked = _lock(user)
    if not locked.two_step_enabled:
        raise BusinessRuleError(_("Two-step sign-in is off for this login."), field="code")
    # None when the encryption key changed (bizkit.core.crypto): recovery codes still work.
    secret = secret_of(locked)
    digits = _digits(code)
    if digits is not None and secret is not None:
        step = _matching_step(secret, digits, now)
        if step is not None:
            if locked.totp_last_step is not None and step <= locked.totp_last_step:
                raise BusinessRuleError(
                    _("This code was used already. Wait for the next one."), field="code"
                )
            locked.totp_last_step = step
            db.session.flush()
            return "app"
    elif digits is None and _use_recovery_code(locked, code):
        return "recovery"
    raise BusinessRuleError(_("This code is not right."), field="code")


def record_recovery_sign_in(user: User, memberships: list[Membership]) -> None:
    """A login that used a recovery code instead of the app goes into the audit log of
    every company it opens: a lost phone, or a code in someone else's hands, is worth an
    owner's notice. (A wrong code is not written: failed logins are not either; they
    count against the login rate limit.)"""
    for membership in memberships:
        with tenancy.company_scope(membership.company_id):
            audit.record(user, "user.recovery_code_sign_in", user, {}, label=user.email)
    db.session.flush()


def remaining_recovery_codes(user: User) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def disable(user: User, password: str, code: str) -> None:
    """Switch two-step sign-in off: the password and a current code (or a recovery code).
    The user's other sessions end, as when it is switched on (User.session_fingerprint)."""
    _check_password(user, password)
    verify(user, code)
    switch_off(user)
    audit.record(user, "user.two_step_disable", user, {"two_step": [True, False]}, label=user.email)
    db.session.flush()


def regenerate_recovery_codes(user: User, password: str, code: str) -> list[str]:
    """Ten new recovery codes in place of the old ones (all of which stop working).

    The user's other sessions end too (someone who had the old codes may have signed in
    with one): the password just checked is hashed again with a fresh salt, which changes
    the session fingerprint as a new password does (User.session_fingerprint)."""
    _check_password(user, password)
    verify(user, code)
    user.set_password(password)
    codes = _new_recovery_codes(user)
    audit.record(user, "user.recovery_codes_regenerate", user, {}, label=user.email)
    db.session.flush()
    return codes


def switch_off(user: User) -> None:
    """Forget the secret and the recovery codes (no audit entry: the caller writes it)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


# -- inside ------------------------------------------------------------------------------


def _lock(user: User) -> User:
    """The user's row as it is now (not as this process keeps it), locked until commit."""
    return db.session.execute(
        select(User)
        .where(User.id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _check_password(user: User, password: str) -> None:
    if not user.check_password(password or ""):
        raise BusinessRuleError(_("The password is not correct."), field="password")


def _digits(code: str | None) -> str | None:
    """Six digits, however they were typed ("123 456", "123-456"), else None."""
    compact = re.sub(r"[\s-]", "", code or "")
    return compact if re.fullmatch(rf"\d{{{DIGITS}}}", compact) else None


def _matching_step(secret: str, digits: str | None, now: float | None) -> int | None:
    """The step (of the previous, current and next) whose code these digits are."""
    if digits is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    # Checked in order and without stopping early: the time taken tells nothing.
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits) and found is None:
            found = step
    return found


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalise_recovery_code(code: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (code or "").upper())


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _c in range(_RECOVERY_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(raw)))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    """Use the code up; False when it is not one of the user's unused codes."""
    normalised = _normalise_recovery_code(code)
    if len(normalised) != _RECOVERY_LENGTH:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery_code(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .returning(RecoveryCode.id)
    ).first()
    return used is not None
