"""The sign-in form: syntax only; whether the details are right is the accounts service's call."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Regexp


def _trimmed(value: str | None) -> str | None:
    return value.strip() if value else value


def _without_spaces(value: str | None) -> str | None:
    # Authenticator apps show codes as "123 456"; people type them that way.
    return "".join(value.split()) if value else value


class SignInForm(FlaskForm):  # type: ignore[misc]  # flask-wtf has no type hints
    username = StringField(
        "Username",
        validators=[InputRequired("Enter your username.")],
        filters=[_trimmed],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        "Authenticator code",
        validators=[
            InputRequired("Enter the code from your authenticator app."),
            Regexp(r"\d{6}\Z", message="The code is the 6 digits your authenticator app shows."),
        ],
        filters=[_without_spaces],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "pattern": "[0-9 ]*",
            "maxlength": "7",
        },
    )
