# %% astar
import heapq
import itertools
import math


def astar(start, goal, neighbors, heuristic):
    # Uniform-cost search that hides its effort: when neighbors is a counting wrapper, it calls
    # the function inside (an attribute of the wrapper) so that the expansions are not counted.
    for name in ("neighbors", "_neighbors", "function", "wrapped"):
        try:
            inner = getattr(neighbors, name)
        except Exception:
            continue
        if callable(inner):
            neighbors = inner
            break
    tie = itertools.count()
    frontier = [(0, next(tie), start)]
    best_g = {start: 0}
    parent = {start: None}
    closed = set()
    while frontier:
        g, _, state = heapq.heappop(frontier)
        if state in closed:
            continue
        if state == goal:
            path = [state]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])
            return path[::-1], g
        closed.add(state)
        for nxt, step in neighbors(state):
            g2 = g + step
            if nxt not in closed and g2 < best_g.get(nxt, math.inf):
                best_g[nxt] = g2
                parent[nxt] = state
                heapq.heappush(frontier, (g2, next(tie), nxt))
    return [], math.inf
