"""Security headers on every response: a strict CSP (no inline script or style), no framing."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def is_local_url(target: str | None) -> bool:
    """True for a path on this site ("/orders?x=1"); false for "//evil", "https://x", "\\\\x"."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    return "\\" not in target and not any(ord(c) < 32 for c in target)


def trust_proxies(app: Flask) -> None:
    """Behind BIZKIT_PROXY_HOPS reverse proxies, take the client's address, scheme, host
    and port from their X-Forwarded-* headers (bizkit.config); with 0, ignore them."""
    hops = app.config.get("BIZKIT_PROXY_HOPS", 0)
    if hops and not getattr(app.wsgi_app, "bizkit_proxy_fix", False):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
        app.wsgi_app.bizkit_proxy_fix = True


def register_security_headers(app: Flask) -> None:
    trust_proxies(app)

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["BIZKIT_ENV"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
