"""The dev phone: a phone in the browser that calls the desk through its real IVR.

Only on a desk running the local telephony adapter (DESK_TELEPHONY=local), never with Twilio.
"""
