"""Channels behind one interface: `channel.send(message) -> provider id`, raising
`TemporaryFailure` (try again later) or `PermanentFailure` (stop now).

- `SmtpChannel`: e-mail with text and HTML parts and attachments; one connection per
  worker process is kept open between messages (connect + EHLO cost more than a send).
- `ProviderChannel`: SMS and WhatsApp over a Twilio-compatible HTTP API.
- `ConsoleChannel`: writes the message to the log (development, `NOTIFY_BACKEND=console`).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import re
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

log = logging.getLogger("bizkit.notifications")


class DeliveryError(Exception):
    """Why a message was not delivered, in words staff can read (never a traceback)."""

    temporary = True

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    temporary = True


class PermanentFailure(DeliveryError):
    temporary = False


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class OutgoingMessage:
    notification_id: int
    channel: str
    to: str
    to_name: str | None
    subject: str
    text: str
    html: str
    short: str
    from_name: str | None = None
    reply_to: str | None = None
    locale: str = "en"
    attachments: list[Attachment] = field(default_factory=list)


# -- e-mail -------------------------------------------------------------------------------

# Control characters (C0, DEL, C1) and Unicode line/paragraph separators: in a header value
# they would end the header (CR, LF) or make it unparseable.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str | None) -> str:
    """`value` on one line: every run of control characters becomes one space. The forms
    refuse such values, but a value stored before they did must not stop the mail."""
    return " ".join(_HEADER_UNSAFE.sub(" ", value or "").split())


def _address(name: str | None, address: str) -> str:
    """`Name <address>`, RFC 2047-encoded where needed, from one-line parts."""
    name = header_text(name)
    address = header_text(address).replace(" ", "")
    return formataddr((name, address)) if name else address


def build_email(message: OutgoingMessage, sender: str, domain: str) -> Message:
    """The MIME message: text and HTML alternatives, then attachments.

    Built with the `email.mime` classes (compat32 policy): the same bytes on the wire as
    EmailMessage, at a fraction of its header-parsing cost. The Message-ID is derived
    from the notification id, so a receiver can tell a repeat of the same notification.
    """
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(message.text, "plain", "utf-8"))
    body.attach(MIMEText(message.html, "html", "utf-8"))
    if message.attachments:
        email = MIMEMultipart("mixed")
        email.attach(body)
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            part = MIMEBase(maintype, subtype or "octet-stream")
            part.set_payload(attachment.data)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            email.attach(part)
    else:
        email = body
    sender_name, address = parseaddr(sender)
    email["From"] = _address(header_text(message.from_name) or sender_name, address)
    email["To"] = _address(message.to_name, message.to)
    if header_text(message.reply_to):
        email["Reply-To"] = _address(None, message.reply_to)
    email["Subject"] = Header(header_text(message.subject), "utf-8")
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(f"notification-{message.notification_id}", domain=domain)
    email["Content-Language"] = message.locale.replace("_", "-")
    email["Auto-Submitted"] = "auto-generated"
    return email


class SmtpChannel:
    """SMTP with a connection kept per process; 4xx and network errors are temporary."""

    IDLE_CHECK_SECONDS = 5.0
    _connections: dict[tuple, tuple[smtplib.SMTP, float]] = {}

    def __init__(self, host, port, *, username="", password="", use_tls=False, sender, timeout):
        self.key = (host, int(port), username, bool(use_tls))
        self.password = password
        self.sender = sender
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        host, port, username, use_tls = self.key
        smtp = smtplib.SMTP(host, port, timeout=self.timeout)
        if use_tls:
            smtp.starttls()
        if username:
            smtp.login(username, self.password)
        return smtp

    def _connection(self) -> smtplib.SMTP:
        cached = self._connections.pop(self.key, None)
        if cached is not None:
            smtp, last_used = cached
            if time.monotonic() - last_used < self.IDLE_CHECK_SECONDS:
                return smtp
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            _close(smtp)
        return self._connect()

    def send(self, message: OutgoingMessage) -> str | None:
        domain = self.sender.rpartition("@")[2].strip("> ") or "localhost"
        email = build_email(message, self.sender, domain)
        try:
            smtp = self._connection()
            smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _smtp_failure(code, text) from None
        except smtplib.SMTPResponseException as error:
            _close_quietly(self.key)
            raise _smtp_failure(error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(
                f"SMTP connection: {error.__class__.__name__}: {error}"
            ) from None
        self._connections[self.key] = (smtp, time.monotonic())
        return email["Message-ID"]


def _smtp_failure(code: int, text) -> DeliveryError:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    message = f"SMTP {code}: {text}"
    return TemporaryFailure(message) if 400 <= code < 500 else PermanentFailure(message)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _close_quietly(key) -> None:
    cached = SmtpChannel._connections.pop(key, None)
    if cached is not None:
        _close(cached[0])


# -- SMS and WhatsApp ---------------------------------------------------------------------


def provider_url_problem(url: str, *, allow_local: bool = False, allowed_hosts=()) -> str | None:
    """Why BizKit must not POST to `url`, or None when it may.

    The address is the tenant's to choose, and the worker shows the reply to the tenant:
    an address inside our network (cloud metadata at 169.254.169.254, Redis on
    127.0.0.1:6379, PostgreSQL on localhost) would be a server-side request forgery. So:
    https only, and every address the host name resolves to must be public (not private,
    loopback, link-local, multicast, reserved or unspecified). `allow_local` (development
    and testing) and `allowed_hosts` (host or host:port entries, configuration) lift both
    rules. Checked when the settings are saved and again before each send (a name may
    resolve elsewhere by then); redirects are never followed (ProviderChannel).
    """
    parts = urllib.parse.urlsplit(url or "")
    try:
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "the port is not a number"
    if parts.scheme not in ("http", "https") or not host:
        return "not an http(s) address"
    entries = {str(entry).lower() for entry in allowed_hosts or ()}
    if allow_local or host in entries or (port and f"{host}:{port}" in entries):
        return None
    if parts.scheme != "https":
        return "not https"
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return "the host name cannot be resolved"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast or address.is_reserved:
            return f"{host} resolves to an internal address ({address})"
    return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the provider's error: following it could lead inside our network."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


class ProviderChannel:
    """A Twilio-compatible Messages API: POST form fields, HTTP basic auth, JSON reply.

    2xx: sent; 429 and 5xx: temporary (429's Retry-After is honoured); other 4xx:
    permanent (e.g. an invalid number). Timeouts and refused connections are temporary.
    An `Idempotency-Key` per notification lets a provider that supports it drop a repeat.
    """

    def __init__(
        self,
        kind,
        base_url,
        account,
        token,
        sender,
        timeout,
        *,
        allow_local=False,
        allowed_hosts=(),
    ):
        self.kind = kind
        self.allow_local = allow_local
        self.allowed_hosts = allowed_hosts
        self.base_url = (base_url or "").rstrip("/")
        self.account = account or ""
        self.token = token or ""
        self.sender = sender or ""
        self.timeout = timeout

    def send(self, message: OutgoingMessage) -> str | None:
        if not (self.base_url and self.account and self.token and self.sender):
            raise PermanentFailure("The SMS/WhatsApp provider is not configured.")
        problem = provider_url_problem(
            self.base_url, allow_local=self.allow_local, allowed_hosts=self.allowed_hosts
        )
        if problem:
            raise PermanentFailure(f"The provider address is not allowed: {problem}.")
        prefix = "whatsapp:" if self.kind == "whatsapp" else ""
        body = urllib.parse.urlencode(
            {"To": prefix + message.to, "From": prefix + self.sender, "Body": message.short}
        ).encode()
        url = (
            f"{self.base_url}/2010-04-01/Accounts/{urllib.parse.quote(self.account)}/Messages.json"
        )
        credentials = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 (URL from the company's settings)
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Idempotency-Key": f"bizkit-notification-{message.notification_id}",
            },
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                reply = _json(response.read())
                return str(reply.get("sid") or "") or None
        except urllib.error.HTTPError as error:
            reply = _json(error.read())
            detail = reply.get("message") or error.reason
            text = f"HTTP {error.code}: {detail}"
            if error.code == 429 or error.code >= 500:
                retry_after = _retry_after(error.headers.get("Retry-After"))
                raise TemporaryFailure(text, retry_after) from None
            raise PermanentFailure(text) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TemporaryFailure(f"Provider unreachable: {reason}") from None


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# -- development --------------------------------------------------------------------------


class ConsoleChannel:
    """Prints the message to the log instead of sending it."""

    def send(self, message: OutgoingMessage) -> str | None:
        body = message.short if message.channel in ("sms", "whatsapp") else message.text
        log.info(
            "notification %s via %s to %s: %s\n%s",
            message.notification_id,
            message.channel,
            message.to,
            message.subject,
            body,
        )
        return f"console-{message.notification_id}"
