"""`python -m sagebuild.cli`: the `sagebuild` command."""

from sagebuild.cli import app

app(prog_name="sagebuild")
