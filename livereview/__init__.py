"""livereview: keeps a registered systematic review's searches running and its corpus current."""

__version__ = "0.1.0"
