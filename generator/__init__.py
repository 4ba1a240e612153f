"""dekt: the second-classroom transcript (第二课堂成绩单), kept as code."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dekt")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"
