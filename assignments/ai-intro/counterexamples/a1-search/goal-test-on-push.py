# %% astar
import heapq
import itertools
import math


def astar(start, goal, neighbors, heuristic):
    # Stops as soon as the goal is generated (pushed), not when it is taken from the frontier.
    if start == goal:
        return [start], 0
    tie = itertools.count()
    frontier = [(heuristic(start), next(tie), 0, start)]
    best_g = {start: 0}
    parent = {start: None}
    closed = set()
    while frontier:
        _, _, g, state = heapq.heappop(frontier)
        if state in closed:
            continue
        closed.add(state)
        for nxt, step in neighbors(state):
            g2 = g + step
            if nxt not in closed and g2 < best_g.get(nxt, math.inf):
                best_g[nxt] = g2
                parent[nxt] = state
                if nxt == goal:
                    path = [nxt]
                    while parent[path[-1]] is not None:
                        path.append(parent[path[-1]])
                    return path[::-1], g2
                heapq.heappush(frontier, (g2 + heuristic(nxt), next(tie), g2, nxt))
    return [], math.inf
