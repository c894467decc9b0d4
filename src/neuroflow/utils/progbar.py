"""A Keras-3-style progress bar: ``1875/1875 ━━━━━━━━━━━━━━━━━━━━ 2s 1ms/step - loss: 0.29``."""

from __future__ import annotations

import os
import sys
import time


def format_value(value: float) -> str:
    """Four decimals, or scientific notation for tiny magnitudes, as Keras prints logs."""
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_per_unit(seconds: float, unit: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds) // 3600}:{int(seconds) % 3600 // 60:02d}:{int(seconds) % 60:02d}"
    if seconds > 60:
        return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
    return f"{seconds:.0f}s"


class Progbar:
    """Displays progress through ``target`` steps.

    Parameters
    ----------
    target : int or None
        Total number of steps, or None if unknown.
    width : int, default 20
        Characters of the bar.
    verbose : {0, 1, 2}
        1 redraws one line as it goes; 2 prints one line when finished; 0 prints nothing.
    interval : float, default 0.05
        Minimum seconds between redraws.
    stateful_metrics : iterable of str, optional
        Names shown as given; the others are averaged over the steps, like Keras.
    unit_name : str, default "step"

    Examples
    --------
    >>> bar = Progbar(3, verbose=0)
    >>> for i in range(3):
    ...     bar.update(i + 1, [("loss", 0.5)])
    """

    def __init__(
        self,
        target,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics=None,
        unit_name: str = "step",
        stream=None,
    ):
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = stateful_metrics if stateful_metrics is not None else ()
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", lambda: False)()
        # Keras redraws in place on terminals and notebooks; so do we.
        self._dynamic = isatty or "ipykernel" in sys.modules
        self._color = isatty and os.environ.get("NO_COLOR") is None
        encoding = getattr(self.stream, "encoding", None) or "ascii"
        try:
            "━─".encode(encoding)
            self._chars = ("━", "─")
        except (UnicodeEncodeError, LookupError):
            self._chars = ("=", ".")
        self._sums: dict[str, list[float]] = {}
        self._order: list[str] = []
        self._start = time.perf_counter()
        self._last_update = 0.0
        self._width_drawn = 0
        self._seen = 0

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Moves the bar to ``current`` with ``values`` as (name, value) pairs."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._sums:
                self._order.append(name)
            if name in self.stateful_metrics:
                self._sums[name] = [float(value), 1]
            else:
                step = max(current - self._seen, 1)
                total, count = self._sums.get(name, [0.0, 0])
                self._sums[name] = [total + float(value) * step, count + step]
        self._seen = current
        if self.verbose == 0:
            return
        now = time.perf_counter()
        if not finalize and (self.verbose == 2 or now - self._last_update < self.interval):
            return
        self._last_update = now
        if not finalize and not self._dynamic:
            return
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0.0
        metrics = "".join(
            f" - {k}: {format_value(self._sums[k][0] / max(self._sums[k][1], 1))}"
            for k in self._order
        )
        if self.verbose == 2:
            line = f"{current}/{self.target} - {elapsed:.0f}s - "
            line += f"{_format_per_unit(per_unit, self.unit_name)}{metrics}"
            self.stream.write(line + "\n")
            self.stream.flush()
            return
        timing = f"{elapsed:.0f}s" if finalize else _format_eta(per_unit * (self.target - current))
        line = f"{self._counter(current)} {self._bar(current)} {timing} "
        line += f"{_format_per_unit(per_unit, self.unit_name)}{metrics}"
        visible = len(line)
        pad = " " * max(self._width_drawn - visible, 0)
        self._width_drawn = visible
        prefix = "\r" if self._dynamic else ""
        self.stream.write(prefix + line + pad + ("\n" if finalize else ""))
        self.stream.flush()

    def _counter(self, current: int) -> str:
        if self.target is None:
            return str(current)
        digits = len(str(self.target))
        text = f"{current:>{digits}}/{self.target}"
        return f"\x1b[1m{text}\x1b[0m" if self._color else text

    def _bar(self, current: int) -> str:
        if self.target is None:
            return ""
        done = int(self.width * min(current / self.target, 1.0)) if self.target else self.width
        full, empty = self._chars
        if self._color:
            return f"\x1b[32m{full * done}\x1b[0m\x1b[37m{full * (self.width - done)}\x1b[0m"
        return full * done + empty * (self.width - done)
