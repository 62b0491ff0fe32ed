"""The desk's scheduled work in one place: `flask jobs run-due`."""
