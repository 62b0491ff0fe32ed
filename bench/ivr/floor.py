"""The floor: a bare Flask endpoint answering fixed TwiML, the least any webhook can cost.

Served by gunicorn as the desk is (`gunicorn 'bench.ivr.floor:create_app()'`) and driven the same
way, it measures what Flask, gunicorn, HTTP and the driver take on their own; each IVR step is
judged against it.
"""

from flask import Flask, Response

# One document for every webhook, so that ivr.simulator can follow it at any step of a call:
# a Gather for the ID, PIN and code, an Enqueue for the wait and what follows it.
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/ivr/answer?turn=1" actionOnEmptyResult="true" finishOnKey="#" '
    'input="dtmf" method="POST" timeout="10">'
    '<Say language="en-GB">Please key your PIN, followed by the hash key.</Say></Gather>'
    '<Enqueue action="/ivr/left-queue" method="POST" waitUrl="/ivr/wait" waitUrlMethod="POST">'
    "desk</Enqueue></Response>"
)


def create_app() -> Flask:
    """A Flask app with one view: fixed TwiML for a POST to any /ivr/ URL."""
    app = Flask(__name__)

    @app.post("/ivr/<path:step>")
    def webhook(step: str) -> Response:
        return Response(TWIML, mimetype="text/xml")

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
