"""The app factory: the one module that knows every package of the desk, and wires them."""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from desk.admin.views import bp as admin_bp
from desk.authority.views import bp as authority_bp
from desk.console import listening, purging, states
from desk.console.identity_views import bp as identity_bp
from desk.console.line_views import bp as line_bp
from desk.console.views import bp as console_bp
from desk.core import authorities, logs, sqlite
from desk.core import config as desk_config
from desk.core.audit.cli import audit_cli
from desk.core.extensions import csrf, db, login_manager, migrate
from desk.core.sealed_session import SealedSessionInterface
from desk.jobs.cli import jobs_cli
from desk.records.cli import records_cli
from desk.review import assessment
from desk.review.cli import review_cli, subject
from desk.review.manager import bp as manager_bp
from desk.review.views import bp as review_bp
from desk.staff.accounts import signed_in_staff
from desk.staff.cli import staff_cli
from desk.staff.views import bp as auth_bp
from desk.web import errors, govuk, limits, requestlog, security
from desk.web.home import bp as home_bp
from ivr.cli import calls_cli
from ivr.views import bp as ivr_bp
from verification.cli import practitioners_cli, tokens_cli

# Templates, static files and migrations sit beside the packages in a checkout, and inside
# the `desk` package in an installed wheel (see pyproject.toml).
PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """Where a folder of the desk's data files is: in the package, or beside it in a checkout."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the desk: configuration, extensions, blueprints, hooks, commands."""
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(shipped("templates")),
        static_folder=str(shipped("static")),
    )
    app.config.from_mapping(desk_config.load(app.instance_path))
    if config:
        app.config.update(config)
    desk_config.check(app.config)
    app.session_interface = SealedSessionInterface()
    configure_logging(app)
    register_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_words(app)
    register_hooks(app)
    register_security(app)
    register_errorhandlers(app)
    register_commands(app)
    if is_local(app):
        register_development_tools(app)
    return app


def is_local(app: Flask) -> bool:
    """Whether the desk plays Twilio's part itself (development and tests only)."""
    return bool(app.config["DESK_TELEPHONY"] == "local")


def configure_logging(app: Flask) -> None:
    # JSON lines on standard error, each with its request's id and call (desk.core.logs).
    logs.configure(logging.DEBUG if app.debug else logging.INFO)
    requestlog.register(app)


def register_proxy(app: Flask) -> None:
    hops = app.config["DESK_PROXY_HOPS"]
    if hops:
        # Trust exactly as many X-Forwarded-* hops as there are proxies, so the URL Twilio
        # signed (scheme and host at the proxy) is the URL the signature is checked against.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def register_extensions(app: Flask) -> None:
    # The demo's database and a development desk's keys live here: nobody else's to read.
    sqlite.private_folder(Path(app.instance_path))
    db.init_app(app)
    with app.app_context():
        sqlite.prepare(db.engine)
    migrate.init_app(app, db, directory=str(shipped("migrations")))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(signed_in_staff)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(line_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(manager_bp)
    app.register_blueprint(authority_bp)
    app.register_blueprint(ivr_bp)


def register_template_words(app: Flask) -> None:
    # Codes are stored; pages name the authority.
    app.jinja_env.filters["authority"] = authorities.label
    app.jinja_env.globals["field_attributes"] = govuk.field_attributes


def register_hooks(app: Flask) -> None:
    """Let the layers below hear of what they cannot call upward to do themselves."""
    purging.connect()
    listening.connect()
    assessment.connect()
    states.connect()


def register_security(app: Flask) -> None:
    security.register(app)
    # After the blueprints: the limits wrap views that must already be registered.
    limits.register(app)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_commands(app: Flask) -> None:
    audit_cli.add_command(subject)
    app.cli.add_command(audit_cli)
    app.cli.add_command(practitioners_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(records_cli)
    app.cli.add_command(review_cli)
    app.cli.add_command(calls_cli)
    app.cli.add_command(jobs_cli)


def register_development_tools(app: Flask) -> None:
    """The demo commands and the dev phone, which play Twilio's part: never in production."""
    from desk.dev import register

    register(app)
