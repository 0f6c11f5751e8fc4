"""circlepress: a static-site generator for peer-mentoring circles."""

__version__ = "0.1.0"
