"""Security headers on every response: what a browser may load, frame, send and remember."""

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
)
# Scripts and styles come only from the desk's own static files: no inline script or style
# attribute, so an injected <script> or style="" is refused even if escaping ever failed.
CONTENT_SECURITY_POLICY = "; ".join(POLICY)
# With Twilio, the softphone's Voice SDK (served from the desk's own static files) signals
# over Twilio's WebSockets, reports to its event gateway and plays its ringing sounds from
# sdk.twilio.com: those origins, as the SDK documents them, and no others. Media itself is
# WebRTC, which CSP does not govern.
TWILIO_VOICE_CONNECT = (
    "wss://voice-js.roaming.twilio.com",
    "wss://chunderw-vpc-gll.twilio.com",
    "https://eventgw.twilio.com",
    "https://sdk.twilio.com",
)
TWILIO_VOICE_MEDIA = ("https://sdk.twilio.com",)
TWILIO_CONTENT_SECURITY_POLICY = "; ".join(
    (
        *POLICY,
        "connect-src 'self' " + " ".join(TWILIO_VOICE_CONNECT),
        "media-src 'self' " + " ".join(TWILIO_VOICE_MEDIA),
    )
)
# The desk uses no camera, location, payment or USB device; the dev phone's speech and tones
# need no permission. Only the softphone's page may use the microphone.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
SOFTPHONE_PERMISSIONS_POLICY = "camera=(), microphone=(self), geolocation=(), payment=(), usb=()"
SOFTPHONE_ENDPOINTS = {"line.softphone"}
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
    if current_app.config["DESK_TELEPHONY"] == "twilio":
        response.headers["Content-Security-Policy"] = TWILIO_CONTENT_SECURITY_POLICY
    if request.endpoint in SOFTPHONE_ENDPOINTS:
        response.headers["Permissions-Policy"] = SOFTPHONE_PERMISSIONS_POLICY
    # Only over HTTPS (as seen through DESK_PROXY_HOPS): browsers ignore HSTS sent over HTTP,
    # and the development desk on http://127.0.0.1 must stay reachable.
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register(app: Flask) -> None:
    """Add the security headers to every response the desk sends."""
    app.after_request(add_security_headers)
