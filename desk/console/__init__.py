"""The operator's console: queue, take a call, confirm, search, read back, wrap up."""
