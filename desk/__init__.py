"""The Mediated Access Desk: a telephone desk in front of a national children's index."""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from desk import config as desk_config
from desk.extensions import csrf, db, login_manager, migrate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the desk: configuration, extensions, blueprints, commands."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(desk_config.load(app.instance_path))
    if config:
        app.config.update(config)
    desk_config.check(app.config)
    configure_logging(app)
    register_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug:
        app.logger.setLevel(logging.INFO)


def register_proxy(app: Flask) -> None:
    hops = app.config["DESK_PROXY_HOPS"]
    if hops:
        # Trust exactly as many X-Forwarded-* hops as there are proxies, so the URL Twilio
        # signed (scheme and host at the proxy) is the URL the signature is checked against.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def register_extensions(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    from desk.staff.accounts import signed_in_staff

    login_manager.user_loader(signed_in_staff)


def register_blueprints(app: Flask) -> None:
    from desk.console.views import bp as console_bp
    from desk.home import bp as home_bp
    from desk.review.views import bp as review_bp
    from desk.staff.views import bp as auth_bp
    from ivr.views import bp as ivr_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(ivr_bp)
    if app.config["DESK_TELEPHONY"] == "local":
        # The dev phone plays Twilio's part, so it exists only where Twilio is not used.
        from ivr.devphone.views import bp as devphone_bp

        app.register_blueprint(devphone_bp)


def register_security(app: Flask) -> None:
    from desk import limits, security

    security.register(app)
    # After the blueprints: the limits wrap views that must already be registered.
    limits.register(app)


def register_errorhandlers(app: Flask) -> None:
    from desk import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from desk.audit.cli import audit_cli
    from desk.demo import demo_cli
    from desk.records.cli import records_cli
    from desk.staff.cli import staff_cli
    from verification.cli import practitioners_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(practitioners_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(records_cli)
