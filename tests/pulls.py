"""Items for an executor's ``map_unordered`` that record when each was pulled (the
executors' and Dask executor's streaming tests)."""


class Pulls:
    """An iterator of items that records, for each item pulled, how many outcomes the caller
    had seen (``seen`` is appended to by the test as outcomes come)."""

    def __init__(self, items):
        self.items, self.seen, self.pulled_after = list(items), [], []

    def __iter__(self):
        for item in self.items:
            self.pulled_after.append(len(self.seen))
            yield item
