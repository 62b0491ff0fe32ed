"""Supervisors' review of mediated calls: flags, timelines, sign-off, dashboard and reports."""
