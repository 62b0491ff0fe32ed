"""Access tokens for the console's softphone (Twilio's Voice JavaScript SDK).

Signed with an API key (never the auth token), for one opaque identity, allowing incoming
calls only: the desk rings the softphone, the softphone never dials out.
"""

from collections.abc import Mapping
from typing import Any

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant


class NotConfigured(Exception):
    """The account SID or the API key is missing."""


def voice_token(config: Mapping[str, Any], identity: str) -> str:
    """A signed access token letting `identity` receive calls, for DESK_SOFTPHONE_TOKEN_SECONDS."""
    account = config.get("TWILIO_ACCOUNT_SID")
    key, secret = config.get("TWILIO_API_KEY_SID"), config.get("TWILIO_API_KEY_SECRET")
    if not (account and key and secret):
        raise NotConfigured("the softphone needs TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET")
    token = AccessToken(
        account, key, secret, identity=identity, ttl=int(config["DESK_SOFTPHONE_TOKEN_SECONDS"])
    )
    token.add_grant(VoiceGrant(incoming_allow=True))
    return str(token.to_jwt())
