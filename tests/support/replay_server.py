"""The loopback stand-in for the sources lives in the product now (demo/replay.py, used by `livereview demo`)."""

from demo.replay import *  # noqa: F403
from demo.replay import SOURCES, Paper, Replay, ReplayServer, homework_paper  # noqa: F401
