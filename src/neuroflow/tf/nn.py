"""``tf.nn`` (re-exports only, no logic here)."""

__all__: list = []
