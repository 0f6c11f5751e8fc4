"""Where the stock handbook and the default theme live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
EXAMPLE_CIRCLE = "example-circle.yaml"  # the fictional circle the public handbook shows, in `content`


def packaged(name: str) -> Path:
    """The shipped copy of `content` or `themes/default`.

    A wheel carries them under `circlepress/data/`; an editable install of this
    repository reads them from the checkout's top level.
    """
    installed = _PACKAGE / "data" / name
    return installed if installed.exists() else _PACKAGE.parents[1] / name
