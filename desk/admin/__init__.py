"""The administrators' pages: practitioners' and staff accounts, and nothing about any child.

Each action calls the service the command line calls (verification's administration, tokens,
dates; desk.staff.accounts), with the administrator signed in as the actor. This package may
not import the index or the console (pyproject's import contracts hold it so).
"""
