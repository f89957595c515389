"""``python -m rightturn``: the same as the ``rightturn`` command."""

from rightturn.cli import app

app()
