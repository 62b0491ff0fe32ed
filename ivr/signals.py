"""What the IVR announces to the layers above it, which it must never call itself."""

from blinker import Namespace

_signals = Namespace()

# Sent with `call`, `status` (Twilio's CallStatus of the operator's leg) and `now`, inside the
# status callback's transaction, once the leg's status is audited.
operator_leg_status = _signals.signal("operator-leg-status")
