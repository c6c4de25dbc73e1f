# %% alphabeta
import math


def alphabeta(state, game):
    # Minimax with a transposition table: each position is searched once, but nothing is pruned.
    me = game.to_move(state)
    memo = {}

    def search(s):
        if s in memo:
            return memo[s]
        if game.is_terminal(s):
            memo[s] = (game.utility(s, me), None)
            return memo[s]
        maximising = game.to_move(s) == me
        best_value, best_move = (-math.inf if maximising else math.inf), None
        for move in game.actions(s):
            v, _ = search(game.result(s, move))
            if (maximising and v > best_value) or (not maximising and v < best_value):
                best_value, best_move = v, move
        memo[s] = (best_value, best_move)
        return memo[s]

    return search(state)
