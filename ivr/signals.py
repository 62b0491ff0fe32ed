"""What the IVR announces to the layers above it, which it must never call itself."""

from blinker import Namespace

_signals = Namespace()

# Sent with `call`, `status` (Twilio's CallStatus of the operator's leg) and `now`, inside the
# status callback's transaction, once the leg's status is audited.
operator_leg_status = _signals.signal("operator-leg-status")
# Sent with `call`, `call_sid`, `event` (Twilio's StatusCallbackEvent) and `now`, inside the
# webhook's transaction, when the conference reports a party the IVR does not keep itself
# (a supervisor's leg, labelled `supervisor`).
participant_changed = _signals.signal("participant-changed")
