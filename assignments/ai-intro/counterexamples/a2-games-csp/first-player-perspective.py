# %% alphabeta
import math


def alphabeta(state, game):
    # Always searches for the player who moves first in the game (X, MAX), whoever is to move now.
    me = game.to_move(game.initial)

    def search(s, alpha, beta):
        if game.is_terminal(s):
            return game.utility(s, me), None
        maximising = game.to_move(s) == me
        best_value, best_move = (-math.inf if maximising else math.inf), None
        for move in game.actions(s):
            v, _ = search(game.result(s, move), alpha, beta)
            if maximising and v > best_value:
                best_value, best_move = v, move
                alpha = max(alpha, v)
            elif not maximising and v < best_value:
                best_value, best_move = v, move
                beta = min(beta, v)
            if alpha >= beta:
                break
        return best_value, best_move

    return search(state, -math.inf, math.inf)
