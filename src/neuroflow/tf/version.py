"""``tf.version``: the library's own version (re-exports only)."""

from neuroflow._version import __version__ as VERSION  # noqa: N812

__all__ = ["VERSION"]
