"""Security headers on every response: what a browser may load, frame, send and remember."""

from flask import Flask, request
from werkzeug.wrappers import Response

# Scripts and styles come only from the desk's own static files: no inline script or style
# attribute, so an injected <script> or style="" is refused even if escaping ever failed.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    )
)
# The desk uses no camera, microphone, location, payment or USB device; the dev phone's
# speech and tones need no permission.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: on HTTPS, Flask-WTF's CSRF check requires a same-origin Referer on
    # every form post. same-origin sends it to the desk only, never to another site.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def add_security_headers(response: Response) -> Response:
    """Set the desk's security headers, and HSTS when the request came over HTTPS."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Only over HTTPS (as seen through DESK_PROXY_HOPS): browsers ignore HSTS sent over HTTP,
    # and the development desk on http://127.0.0.1 must stay reachable.
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register(app: Flask) -> None:
    """Add the security headers to every response the desk sends."""
    app.after_request(add_security_headers)
