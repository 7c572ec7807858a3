"""Helpers: configuration, terraform runner, AWS sessions, emulator and the user-facing commands."""
