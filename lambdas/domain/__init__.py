"""Pure domain modules of sagebuild: they never see `event`, `context` or `os.environ`."""
