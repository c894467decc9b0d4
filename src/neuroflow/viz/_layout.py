"""Layered drawing of a small directed graph, in points: what plot_model and draw_graph share.

Graphviz's ``dot`` method, cut down to what a model of a few dozen layers needs:

1. ranks: the longest path from a source (inputs at the top; an input first read deep in the
   graph is moved down next to its reader; sinks of a nested model go to its last rank);
2. edges that skip ranks get a thin "dummy" node on each rank they cross, so they pass between
   boxes instead of through them;
3. the order within a rank: barycenter sweeps, keeping the order with the fewest crossings;
4. positions within a rank: each box as near the mean of its neighbours as the boxes beside it
   allow (an isotonic regression, so it is the exact least-squares answer for that sweep);
5. edges: from a port on the source box's far side to one on the target's near side, the ports
   spread along the side in the order of the other ends, routed with right angles (Keras's
   ``splines="ortho"``; each horizontal run of a gap at its own height) or as curves.

A nested model (``expand_nested``) is laid out first and placed as one big node, its edges
attaching to its boxes inside. Everything is computed for top-to-bottom ("canonical": ranks go
down, the order goes right) and turned at the end for ``LR``, ``BT`` and ``RL``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

RANKDIRS = ("TB", "LR", "BT", "RL")
SPLINES = ("ortho", "spline", "curved", "polyline", "line")
_MOVETO, _LINETO, _CURVE4 = 1, 2, 4  # matplotlib.path.Path's codes (no import needed here)
_PORT_GAP = 7.0  # the least distance between two edge ends on one side of a box
_LOOP = 9.0  # how far a loop (an edge from a node to itself) reaches beyond its box


def check_options(rankdir, splines) -> None:
    """ValueError unless ``rankdir`` and ``splines`` are ones this layout draws."""
    if rankdir not in RANKDIRS:
        raise ValueError(
            f"Expected `rankdir` to be one of {RANKDIRS}. Received: rankdir={rankdir!r}"
        )
    if splines not in SPLINES:
        raise ValueError(
            f"Expected `splines` to be one of {SPLINES}. Received: splines={splines!r}"
        )


@functools.lru_cache(maxsize=4096)
def text_size(text: str, size: float, weight: str = "normal") -> tuple[float, float]:
    """Width and height in points of ``text`` drawn in matplotlib's default font at ``size``."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, height, _ = TextToPath().get_text_width_height_descent(
        text, FontProperties(size=size, weight=weight), ismath=False
    )
    return width, max(height, size * 0.75)


@dataclass
class Edge:
    """An edge between two nodes of one level; ``tail``/``head`` name the boxes it touches
    (the nodes themselves, or boxes inside a nested node)."""

    source: object
    target: object
    tail: object = None
    head: object = None


@dataclass
class Placed:
    """A laid-out graph, in points from its top-left corner (y grows downwards).

    ``boxes``: key -> (x, y, w, h); ``routes``: one ``(edge, vertices, codes)`` per edge, the
    path from the tail's port to the head's; ``clusters``: ``(label, x, y, w, h)`` per nested
    graph; ``ranks``: key -> rank (this level's nodes only).
    """

    width: float
    height: float
    boxes: dict = field(default_factory=dict)
    routes: list = field(default_factory=list)
    clusters: list = field(default_factory=list)
    ranks: dict = field(default_factory=dict)

    def flipped(self, vertical: bool) -> Placed:
        """The mirror image: bottom to top (``vertical``) or right to left."""
        W, H = self.width, self.height

        def pt(x, y):
            return (x, H - y) if vertical else (W - x, y)

        def rect(x, y, w, h):
            return (x, H - y - h, w, h) if vertical else (W - x - w, y, w, h)

        return Placed(
            W,
            H,
            {k: rect(*r) for k, r in self.boxes.items()},
            [(e, [pt(*p) for p in v], c) for e, v, c in self.routes],
            [(lab, *rect(x, y, w, h)) for lab, x, y, w, h in self.clusters],
            dict(self.ranks),
        )

    def shifted(self, dx: float, dy: float) -> Placed:
        return Placed(
            self.width,
            self.height,
            {k: (x + dx, y + dy, w, h) for k, (x, y, w, h) in self.boxes.items()},
            [(e, [(x + dx, y + dy) for x, y in v], c) for e, v, c in self.routes],
            [(lab, x + dx, y + dy, w, h) for lab, x, y, w, h in self.clusters],
            dict(self.ranks),
        )


@dataclass
class Cluster:
    """A nested graph placed as one node: its layout and the label drawn on its frame."""

    placed: Placed
    label: str
    pad: float = 8.0
    label_height: float = 14.0

    @property
    def size(self) -> tuple[float, float]:
        return (self.placed.width + 2 * self.pad,
                self.placed.height + 2 * self.pad + self.label_height)  # fmt: skip

    @property
    def offset(self) -> tuple[float, float]:
        return self.pad, self.pad + self.label_height


def _isotonic(values: list[float]) -> list[float]:
    """The non-decreasing sequence nearest to ``values`` in least squares (pool adjacent
    violators)."""
    blocks: list[list[float]] = []  # [mean, count]
    for v in values:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    out: list[float] = []
    for mean, n in blocks:
        out.extend([mean] * n)
    return out


def _pack(desired: list[float], seps: list[float]) -> list[float]:
    """Positions nearest to ``desired`` with ``x[i+1] - x[i] >= seps[i]``."""
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    fitted = _isotonic([d - o for d, o in zip(desired, offsets)])
    return [f + o for f, o in zip(fitted, offsets)]


def _crossings(upper: list, lower: list, succ: dict) -> int:
    where = {k: i for i, k in enumerate(lower)}
    pairs = [(i, where[s]) for i, k in enumerate(upper) for s in succ[k] if s in where]
    return sum(
        1
        for a in range(len(pairs))
        for b in range(a + 1, len(pairs))
        if (pairs[a][0] - pairs[b][0]) * (pairs[a][1] - pairs[b][1]) < 0
    )


def layout(
    nodes: list,
    sizes: dict,
    edges: list[Edge],
    *,
    turned: bool = False,
    splines: str = "ortho",
    node_gap: float = 16.0,
    rank_gap: float = 26.0,
    clusters: dict | None = None,
    pull_sources: bool = True,
    sinks_last: bool = False,
    centred: frozenset | set = frozenset(),
) -> Placed:
    """Places ``nodes`` (keys; ``sizes[key] = (w, h)`` in points, or a :class:`Cluster` in
    ``clusters``, laid out with the same ``turned``) and routes ``edges``, top to bottom, or
    left to right when ``turned``; see the module docstring. Edges meet the nodes in
    ``centred`` (round ones) at the middle of their sides. :func:`orient` flips the result
    for ``BT``/``RL``."""
    clusters = clusters or {}

    def canon(w, h):  # (breadth, depth) of a box: along the rank and across it
        return (h, w) if turned else (w, h)

    real = {k: clusters[k].size if k in clusters else tuple(sizes[k]) for k in nodes}
    for k in nodes:  # a box long enough along its sides for its ports to stand apart
        ports = max(sum(e.source == k != e.target for e in edges),
                    sum(e.target == k != e.source for e in edges))  # fmt: skip
        w, h = real[k]
        if k not in clusters and ports > 1:
            need = (ports + 1) * _PORT_GAP / 0.7
            real[k] = (w, max(h, need)) if turned else (max(w, need), h)
    breadth = {k: canon(*real[k])[0] for k in nodes}
    depth = {k: canon(*real[k])[1] for k in nodes}
    loops = {e.source for e in edges if e.source == e.target}  # a layer fed its own output
    own_breadth = dict(breadth)
    for k in loops:  # room on the far side for the loop
        breadth[k] += 2 * _LOOP

    # ---- ranks
    index = {k: i for i, k in enumerate(nodes)}
    succ: dict = {k: [] for k in nodes}
    pred: dict = {k: [] for k in nodes}
    for e in edges:
        if e.source != e.target and e.target not in succ[e.source]:
            succ[e.source].append(e.target)
            pred[e.target].append(e.source)
    rank, waiting = {}, {k: len(pred[k]) for k in nodes}
    ready = [k for k in nodes if waiting[k] == 0]
    while ready:
        k = ready.pop(0)
        rank[k] = max((rank[p] + 1 for p in pred[k]), default=0)
        for s in succ[k]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
                ready.sort(key=index.get)
    if len(rank) != len(nodes):
        raise ValueError("The graph to draw has a cycle.")
    if pull_sources:
        for k in nodes:
            if not pred[k] and succ[k]:
                rank[k] = min(rank[s] for s in succ[k]) - 1
    if sinks_last and rank:
        last = max(rank.values())
        for k in nodes:
            if not succ[k] and pred[k]:
                rank[k] = last
    n_ranks = max(rank.values(), default=-1) + 1

    # ---- dummy nodes on the ranks a long edge crosses
    chains: dict = {}  # (source, target) -> [the dummies, top to bottom]
    layer_succ = {k: [] for k in nodes}
    layer_pred = {k: [] for k in nodes}
    for u in nodes:
        for v in succ[u]:
            chain = [("dummy", index[u], index[v], r) for r in range(rank[u] + 1, rank[v])]
            chains[(u, v)] = chain
            path = [u, *chain, v]
            for d, r in zip(chain, range(rank[u] + 1, rank[v])):
                rank[d], breadth[d], depth[d] = r, 2.0, 0.0
                layer_succ.setdefault(d, [])
                layer_pred.setdefault(d, [])
            for a, b in zip(path, path[1:]):
                layer_succ[a].append(b)
                layer_pred[b].append(a)
    layers: list[list] = [[] for _ in range(n_ranks)]
    for k in sorted(rank, key=lambda k: index[k] if k in index else k[1] + 0.5):
        layers[rank[k]].append(k)

    # ---- order within the ranks
    def total_crossings(ls):
        return sum(_crossings(a, b, layer_succ) for a, b in zip(ls, ls[1:]))

    best, best_count = [list(layer) for layer in layers], total_crossings(layers)
    for sweep in range(8):
        down = sweep % 2 == 0
        order = range(1, n_ranks) if down else range(n_ranks - 2, -1, -1)
        for r in order:
            other = layers[r - 1] if down else layers[r + 1]
            where = {k: i for i, k in enumerate(other)}
            near = layer_pred if down else layer_succ

            def bary(k, i, near=near, where=where):
                ns = [where[n] for n in near[k] if n in where]
                return (sum(ns) / len(ns), i) if ns else (i, i)

            keyed = sorted(((bary(k, i), k) for i, k in enumerate(layers[r])), key=lambda t: t[0])
            layers[r] = [k for _, k in keyed]
        count = total_crossings(layers)
        if count < best_count:
            best, best_count = [list(layer) for layer in layers], count
    layers = best

    # ---- positions within the ranks (centres along the breadth)
    def seps(layer):
        return [
            (breadth[a] + breadth[b]) / 2
            + (node_gap if a in index and b in index else node_gap / 2)  # fmt: skip
            for a, b in zip(layer, layer[1:])
        ]

    x: dict = {}
    for layer in layers:
        for k, pos in zip(layer, _pack([0.0] * len(layer), seps(layer))):
            x[k] = pos
        shift = (x[layer[0]] + x[layer[-1]]) / 2 if layer else 0.0
        for k in layer:
            x[k] -= shift
    for sweep in range(12):
        down, both = sweep % 2 == 0, sweep >= 8
        rows = range(n_ranks) if down else range(n_ranks - 1, -1, -1)
        for r in rows:
            layer = layers[r]
            desired = []
            for k in layer:
                ns = list(layer_pred[k] if down else layer_succ[k])
                if both:
                    ns = layer_pred[k] + layer_succ[k]
                desired.append(sum(x[n] for n in ns) / len(ns) if ns else x[k])
            for k, pos in zip(layer, _pack(desired, seps(layer))):
                x[k] = pos
    left = min((x[k] - breadth[k] / 2 for k in rank), default=0.0)
    for k in x:
        x[k] -= left
    total_breadth = max((x[k] + breadth[k] / 2 for k in rank), default=0.0)

    # ---- the box each edge end touches, relative to its node's corner (canonical)
    def port_box(node, box):
        """(dx, dy, breadth, depth) of ``box`` inside ``node`` (the node itself by default)."""
        if box is None or box == node or node not in clusters:
            return 0.0, 0.0, own_breadth[node], depth[node]
        cluster = clusters[node]
        bx, by, bw, bh = cluster.placed.boxes[box]
        ox, oy = cluster.offset
        bx, by = bx + ox, by + oy
        return (by, bx, bh, bw) if turned else (bx, by, bw, bh)

    # the waypoints of each edge: its dummies' centres along the breadth
    tails: dict = {}
    heads: dict = {}
    for i, e in enumerate(edges):
        if e.source == e.target:
            continue
        tails.setdefault((e.source, e.tail), []).append(i)
        heads.setdefault((e.target, e.head), []).append(i)

    def node_left(k):
        return x[k] - breadth[k] / 2

    def first_after(i):
        e = edges[i]
        chain = chains.get((e.source, e.target), [])
        if chain:
            return x[chain[0]]
        dx, _, bw, _ = port_box(e.target, e.head)
        return node_left(e.target) + dx + bw / 2

    def last_before(i):
        e = edges[i]
        chain = chains.get((e.source, e.target), [])
        if chain:
            return x[chain[-1]]
        dx, _, bw, _ = port_box(e.source, e.tail)
        return node_left(e.source) + dx + bw / 2

    def spread(groups, key, end):
        for (node, box), ids in groups.items():
            dx, _, bw, _ = port_box(node, box)
            for j, i in enumerate(sorted(ids, key=key)):
                fraction = 0.5 if node in centred else 0.5 + 0.7 * ((j + 1) / (len(ids) + 1) - 0.5)
                port_x[(i, end)] = node_left(node) + dx + bw * fraction

    def side(node, box):  # the stretch of a box's side a port may sit on
        dx, _, bw, _ = port_box(node, box)
        if node in centred:
            return node_left(node) + dx + bw / 2, node_left(node) + dx + bw / 2
        return node_left(node) + dx + 0.08 * bw, node_left(node) + dx + 0.92 * bw

    def clamp(value, lo, hi):
        return min(max(value, lo), hi)

    port_x: dict = {}  # (edge index, "tail"/"head") -> position along the breadth
    spread(tails, first_after, "tail")
    spread(heads, last_before, "head")
    # the only edge on a side may slide along it, to meet the other end straight on
    for i, e in enumerate(edges):
        if e.source == e.target:
            continue
        chain = chains.get((e.source, e.target), [])
        lone_tail = len(tails[(e.source, e.tail)]) == 1
        lone_head = len(heads[(e.target, e.head)]) == 1
        t_side, h_side = side(e.source, e.tail), side(e.target, e.head)
        if chain:
            if lone_tail:
                port_x[(i, "tail")] = clamp(x[chain[0]], *t_side)
            if lone_head:
                port_x[(i, "head")] = clamp(x[chain[-1]], *h_side)
        elif lone_tail and lone_head:
            lo, hi = max(t_side[0], h_side[0]), min(t_side[1], h_side[1])
            if lo <= hi:
                middle = (port_x[(i, "tail")] + port_x[(i, "head")]) / 2
                port_x[(i, "tail")] = port_x[(i, "head")] = clamp(middle, lo, hi)
        elif lone_tail:
            port_x[(i, "tail")] = clamp(port_x[(i, "head")], *t_side)
        elif lone_head:
            port_x[(i, "head")] = clamp(port_x[(i, "tail")], *h_side)

    # crossings of each gap, to size it: a gap holds one horizontal run per edge that bends
    crossings_of: list[list] = [[] for _ in range(max(n_ranks - 1, 0))]
    for i, e in enumerate(edges):
        if e.source == e.target:
            continue
        chain = chains.get((e.source, e.target), [])
        xs = [port_x[(i, "tail")], *(x[d] for d in chain), port_x[(i, "head")]]
        for step, (a, b) in enumerate(zip(xs, xs[1:])):
            crossings_of[rank[e.source] + step].append((i, step, a, b))
    level_step, arrow_room = 6.0, 9.0
    band = [max((depth[k] for k in layer), default=0.0) for layer in layers]
    gaps = []
    for gap in crossings_of:
        bends = sum(1 for *_, a, b in gap if abs(a - b) > 0.5) if splines == "ortho" else 0
        gaps.append(max(rank_gap, level_step * (bends + 1) + arrow_room))
    tops, y = [], 0.0
    for r in range(n_ranks):
        tops.append(y)
        y += band[r] + (gaps[r] if r < len(gaps) else 0.0)
    total_depth = y

    def node_top(k):
        return tops[rank[k]] + (band[rank[k]] - depth[k]) / 2

    # the height in the gap where each bending crossing runs sideways
    level: dict = {}
    for r, gap in enumerate(crossings_of):
        bending = sorted((c for c in gap if abs(c[2] - c[3]) > 0.5), key=lambda c: (c[2], c[3]))
        start = tops[r] + band[r]
        for j, (i, step, _, _) in enumerate(bending):
            level[(i, step)] = start + level_step * (j + 1)

    # ---- routes (canonical points, then turned)
    routes = []
    for i, e in enumerate(edges):
        if e.source == e.target:  # out of the far side, round, and back in
            tx, ty, tb, td = port_box(e.source, e.tail)
            hx, hy, hb, hd = port_box(e.target, e.head)
            left, top = node_left(e.source), node_top(e.source)
            far = left + own_breadth[e.source] + _LOOP
            verts = [(left + tx + tb, top + ty + 0.7 * td), (far, top + ty + 0.7 * td),
                     (far, top + hy + 0.3 * hd), (left + hx + hb, top + hy + 0.3 * hd)]  # fmt: skip
            routes.append((e, verts, [_MOVETO] + [_LINETO] * 3))
            continue
        chain = chains.get((e.source, e.target), [])
        _, ty, _, td = port_box(e.source, e.tail)
        _, hy, _, _ = port_box(e.target, e.head)
        start = (port_x[(i, "tail")], node_top(e.source) + ty + td)
        end = (port_x[(i, "head")], node_top(e.target) + hy)
        stops = [start]
        for d in chain:
            stops += [(x[d], tops[rank[d]]), (x[d], tops[rank[d]] + band[rank[d]])]
        stops.append(end)
        verts, codes = [stops[0]], [_MOVETO]
        for step in range(len(chain) + 1):
            a, b = stops[2 * step], stops[2 * step + 1]
            if abs(a[0] - b[0]) <= 0.5 or splines in ("line", "polyline"):
                verts.append(b)
                codes.append(_LINETO)
            elif splines == "ortho":
                y_run = level[(i, step)]
                verts += [(a[0], y_run), (b[0], y_run), b]
                codes += [_LINETO] * 3
            else:  # a smooth S from one port to the other
                mid = (a[1] + b[1]) / 2
                verts += [(a[0], mid), (b[0], mid), b]
                codes += [_CURVE4] * 3
            if step < len(chain):  # straight through the dummy's rank
                verts.append(stops[2 * step + 2])
                codes.append(_LINETO)
        routes.append((e, verts, codes))

    # ---- back to real coordinates
    width, height = (total_depth, total_breadth) if turned else (total_breadth, total_depth)

    def point(px, py):
        return (py, px) if turned else (px, py)

    def rect(k):
        bx, by = node_left(k), node_top(k)
        return ((by, bx) if turned else (bx, by)) + tuple(real[k])

    placed = Placed(width, height, ranks={k: rank[k] for k in nodes})
    for k in nodes:
        rx, ry, w, h = rect(k)
        if k in clusters:
            cluster = clusters[k]
            ox, oy = cluster.offset
            inner = cluster.placed.shifted(rx + ox, ry + oy)
            placed.boxes.update(inner.boxes)
            placed.routes.extend(inner.routes)
            placed.clusters.append((cluster.label, rx, ry, w, h))
            placed.clusters.extend(inner.clusters)
        else:
            placed.boxes[k] = (rx, ry, w, h)
    for e, verts, codes in routes:
        placed.routes.append((e, [point(*v) for v in verts], codes))
    return placed


def orient(placed: Placed, rankdir: str) -> Placed:
    """``placed`` (laid out TB or LR) turned to face ``rankdir``."""
    if rankdir == "BT":
        return placed.flipped(vertical=True)
    if rankdir == "RL":
        return placed.flipped(vertical=False)
    return placed


# ----------------------------------------------------------------------------- drawing
@dataclass
class Cell:
    """One cell of a box drawn as a table (Graphviz's HTML-like labels, as Keras draws)."""

    text: str
    size: float = 9.0
    weight: str = "normal"
    color: str = "black"
    fill: str = "white"


PAD_X, PAD_Y = 6.0, 4.0


def table_size(rows: list[list[Cell]]) -> tuple[float, float]:
    """(w, h) in points of a table whose rows hold ``rows``' cells side by side."""
    width = height = 0.0
    for row in rows:
        sizes = [text_size(c.text, c.size, c.weight) for c in row]
        width = max(width, sum(w + 2 * PAD_X for w, _ in sizes))
        height += max(h for _, h in sizes) + 2 * PAD_Y
    return width, height


def draw_table(ax, box, rows: list[list[Cell]], scale: float, gid: str) -> list:
    """Draws ``rows`` filling ``box`` = (x, y, w, h) (y down); returns the Text artists.

    (Patches here go in with ``add_artist``: ``add_patch`` would work out data limits for
    each, slow for arrows, and :func:`canvas` sets the view anyway.)

    The outer frame is one Rectangle with ``gid`` (what tests count); the cells of a row
    share its width in proportion to their text.
    """
    from matplotlib.patches import Rectangle

    x, y, w, h = box
    heights = [max(text_size(c.text, c.size, c.weight)[1] for c in row) + 2 * PAD_Y
               for row in rows]  # fmt: skip
    stretch = h / sum(heights) if sum(heights) else 1.0
    texts = []
    top = y
    for row, rh in zip(rows, heights):
        rh *= stretch
        natural = [text_size(c.text, c.size, c.weight)[0] + 2 * PAD_X for c in row]
        extra = (w - sum(natural)) / len(row)
        left = x
        for cell, cw in zip(row, natural):
            cw += extra
            ax.add_artist(Rectangle((left, top), cw, rh, facecolor=cell.fill, edgecolor="#444444",
                                   linewidth=0.6 * scale, zorder=2))  # fmt: skip
            texts.append(ax.text(left + cw / 2, top + rh / 2, cell.text, ha="center",
                                 va="center_baseline", fontsize=cell.size * scale,
                                 fontweight=cell.weight, color=cell.color, zorder=3))  # fmt: skip
            left += cw
        top += rh
    ax.add_artist(Rectangle((x, y), w, h, facecolor="none", edgecolor="black",
                           linewidth=1.2 * scale, zorder=4, gid=gid))  # fmt: skip
    return texts


def draw_routes(ax, placed: Placed, scale: float, gid, color: str = "#333333") -> list:
    """One arrow (a FancyArrowPatch along the route) per edge; ``gid(edge)`` names each."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    arrows = []
    for edge, verts, codes in placed.routes:
        arrow = FancyArrowPatch(path=Path(verts, codes), arrowstyle="-|>",
                                mutation_scale=9 * scale, linewidth=1.0 * scale, color=color,
                                shrinkA=0, shrinkB=0, zorder=1, gid=gid(edge))  # fmt: skip
        ax.add_artist(arrow)
        arrows.append(arrow)
    return arrows


def draw_clusters(ax, placed: Placed, scale: float) -> None:
    """Each nested graph's dashed frame, its name at the top left."""
    from matplotlib.patches import Rectangle

    for label, x, y, w, h in placed.clusters:
        ax.add_artist(Rectangle((x, y), w, h, facecolor="#f6f6f6", edgecolor="#777777",
                               linestyle="--", linewidth=1.0 * scale, zorder=0,
                               gid=f"cluster:{label}"))  # fmt: skip
        ax.text(x + 5, y + 3, label, ha="left", va="top", fontsize=8.5 * scale,
                fontstyle="italic", color="#555555", zorder=3)  # fmt: skip


def canvas(ax, fig, placed: Placed, margin: float = 8.0):
    """The figure and axes to draw ``placed`` on, and the scale of a point in it.

    A new figure is made exactly the drawing's size, so one unit is one point; into a given
    ``ax``/``fig`` the drawing is fitted, fonts and lines scaled with it.
    """
    from neuroflow.viz._mpl import figure_and_axes

    width, height = placed.width + 2 * margin, placed.height + 2 * margin
    own = ax is None and fig is None
    fig, ax = figure_and_axes(ax, fig, figsize=(width / 72, height / 72) if own else None)
    if own:
        fig.set_layout_engine("none")  # nothing to lay out: the axes fill the figure
        ax.set_position([0, 0, 1, 1])  # one data unit is one point
        scale = 1.0
    else:
        bbox = ax.get_window_extent().transformed(fig.dpi_scale_trans.inverted())
        scale = min(bbox.width * 72 / width, bbox.height * 72 / height)
    ax.set_xlim(-margin, placed.width + margin)
    ax.set_ylim(placed.height + margin, -margin)  # y grows downwards, as in the layout
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax, scale
