"""The loopback stand-in for the sources lives in the product now (demo/replay.py, used by `livereview demo`)."""

from livereview.demo.replay import *  # noqa: F403
from livereview.demo.replay import SOURCES, Paper, Replay, ReplayServer, homework_paper  # noqa: F401
