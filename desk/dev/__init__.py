"""Development tools: the demo commands, a Twilio simulator and the dev phone.

Registered only on a desk whose telephony is local (development and tests); no production
module imports this package.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Add the dev phone's pages and the demo commands to a local-telephony desk."""
    from desk.dev.demo import demo_cli
    from desk.dev.devphone.views import bp as devphone_bp
    from desk.dev.softphone import bp as softphone_bp

    app.register_blueprint(devphone_bp)
    app.register_blueprint(softphone_bp)
    app.cli.add_command(demo_cli)
