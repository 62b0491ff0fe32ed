"""The telephone side of the desk: Twilio webhooks, the call flow, TwiML."""
