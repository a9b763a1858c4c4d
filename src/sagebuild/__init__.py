"""sagebuild developer side: CLI, packaging and the local stack (never deployed)."""

__version__ = "0.1.0"
