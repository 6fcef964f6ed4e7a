"""The review protocol as data: the TOML files in this folder, and their schema and query generators."""

from importlib import resources
from pathlib import Path

from livereview.protocols.model import Protocol, load_protocol, parse_protocol

PROTOCOL_DIR = Path(str(resources.files(__name__)))

__all__ = ["PROTOCOL_DIR", "Protocol", "load_protocol", "parse_protocol"]
