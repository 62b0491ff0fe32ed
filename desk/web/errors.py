"""Pages for requests the desk cannot answer: expired form, no access, no such page, too many,
or the rate limits' storage unreachable."""

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from werkzeug.exceptions import Forbidden, NotFound, TooManyRequests


def form_expired(error: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token: too old, or not sent from one of the desk's pages."""
    return render_template("errors/csrf.html"), 400


def forbidden(error: Forbidden) -> tuple[str, int]:
    return render_template("errors/403.html"), 403


def not_found(error: NotFound) -> tuple[str, int]:
    return render_template("errors/404.html"), 404


def too_many(error: TooManyRequests) -> tuple[str, int]:
    """Too many attempts (at signing in) from this address: wait, then try again."""
    return render_template("errors/429.html"), 429


def limits_unavailable(error: RedisError) -> tuple[str, int]:
    """The rate limits cannot be counted (Redis is down): refuse rather than let guesses by."""
    current_app.logger.error("Rate-limit storage unavailable: %s", type(error).__name__)
    return render_template("errors/503.html"), 503


def register(app: Flask) -> None:
    """Show the desk's own pages for these errors."""
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(404, not_found)
    app.register_error_handler(429, too_many)
    app.register_error_handler(RedisError, limits_unavailable)
