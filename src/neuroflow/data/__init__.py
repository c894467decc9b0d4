"""``tf.data``: input pipelines in NumPy (``Dataset``), what courses feed to ``fit``."""

__all__: list = []
