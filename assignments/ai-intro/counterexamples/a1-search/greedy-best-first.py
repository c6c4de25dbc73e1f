# %% astar
import heapq
import itertools
import math


def astar(start, goal, neighbors, heuristic):
    # Greedy best-first search: the frontier is ordered by the heuristic alone, not g + h.
    tie = itertools.count()
    frontier = [(heuristic(start), next(tie), 0, start)]
    best_g = {start: 0}
    parent = {start: None}
    closed = set()
    while frontier:
        _, _, g, state = heapq.heappop(frontier)
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
                heapq.heappush(frontier, (heuristic(nxt), next(tie), g2, nxt))
    return [], math.inf
