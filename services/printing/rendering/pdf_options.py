"""reportlab settings for our documents.

reportlab wraps every stream in ASCII85 by default (`rl_config.useA85`), which costs about
a third of the rendering time and a quarter more bytes for nothing a printer needs. The
setting is global, so it is switched off only while one of our documents is built, one
document at a time (renders run in worker threads; the lock keeps the setting consistent).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from reportlab import rl_config

_lock = threading.Lock()


@contextmanager
def binary_streams() -> Iterator[None]:
    with _lock:
        previous = rl_config.useA85
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.useA85 = previous
