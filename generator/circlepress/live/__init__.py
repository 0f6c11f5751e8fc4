"""Staying running: watching the sources, `build --watch`, the dev server."""
