"""`python -m circlepress`: the same as the `circlepress` command."""

from .cli import main

main()
