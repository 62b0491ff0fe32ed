"""Staff accounts (operators, supervisors, administrators) and their sign-in to the console."""
