"""The review protocol as data: the TOML files in this folder, and their schema and query generators."""

from pathlib import Path

from protocols.model import Protocol, load_protocol, parse_protocol

PROTOCOL_DIR = Path(__file__).resolve().parent

__all__ = ["PROTOCOL_DIR", "Protocol", "load_protocol", "parse_protocol"]
