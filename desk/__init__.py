"""The Mediated Access Desk: a telephone desk in front of a national children's index.

`desk.app.create_app` builds it. The packages are layered, lowest first: `desk.core` (the
ground), `verification`, `ivr`, `desk.records` and `desk.staff`, `desk.console`, `desk.review`,
then `desk.web` and `desk.dev`; each imports only from the layers below it (docs/design.md).
"""
