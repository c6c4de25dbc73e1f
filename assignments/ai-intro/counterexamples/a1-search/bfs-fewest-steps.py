# %% astar
import math
from collections import deque


def astar(start, goal, neighbors, heuristic):
    # Breadth-first search: finds the path with the fewest steps, not the cheapest one.
    parent = {start: None}
    cost = {start: 0}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if state == goal:
            path = [state]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])
            return path[::-1], cost[state]
        for nxt, step in neighbors(state):
            if nxt not in parent:
                parent[nxt] = state
                cost[nxt] = cost[state] + step
                queue.append(nxt)
    return [], math.inf
