"""What the console announces to the layers above it, which it must never call itself."""

from blinker import Namespace

_signals = Namespace()

# Sent with `handling` and `now` inside the wrap-up's transaction, once the wrap-up is recorded.
call_wrapped_up = _signals.signal("call-wrapped-up")
