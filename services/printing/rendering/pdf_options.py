"""reportlab settings for our documents.

reportlab wraps every stream in ASCII85 by default (`rl_config.useA85`), which costs about
a third of the rendering time and a quarter more bytes for nothing a printer needs. The
setting is global, so it is switched off only while one of our documents is built.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from reportlab import rl_config


@contextmanager
def binary_streams() -> Iterator[None]:
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous
