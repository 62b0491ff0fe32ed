"""Practitioners' credentials: who may call the desk, and the checks their keypad entries pass."""
