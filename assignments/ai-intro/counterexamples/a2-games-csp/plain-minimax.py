# %% alphabeta
import math


def alphabeta(state, game):
    # Plain minimax: the right values, but no pruning at all.
    me = game.to_move(state)

    def search(s):
        if game.is_terminal(s):
            return game.utility(s, me), None
        maximising = game.to_move(s) == me
        best_value, best_move = (-math.inf if maximising else math.inf), None
        for move in game.actions(s):
            v, _ = search(game.result(s, move))
            if (maximising and v > best_value) or (not maximising and v < best_value):
                best_value, best_move = v, move
        return best_value, best_move

    return search(state)
