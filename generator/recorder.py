"""The Python recorder for harnesses: ``from generator.recorder import Recorder``.

It lives with the rest of the write path in ``generator.results.recorder``; this
name is the one harnesses import.
"""

from generator.results.recorder import Recorder

__all__ = ["Recorder"]
