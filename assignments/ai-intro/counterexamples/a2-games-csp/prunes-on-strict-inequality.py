# %% alphabeta
import math


def alphabeta(state, game):
    # Alpha-beta that cuts off only when a value lies strictly outside the window (v > beta,
    # v < alpha): right values and moves, but where values tie (draws) it prunes nothing.
    me = game.to_move(state)

    def max_value(s, alpha, beta):
        if game.is_terminal(s):
            return game.utility(s, me), None
        best, best_move = -math.inf, None
        for move in game.actions(s):
            v, _ = min_value(game.result(s, move), alpha, beta)
            if v > best:
                best, best_move = v, move
            if best > beta:
                return best, best_move
            alpha = max(alpha, best)
        return best, best_move

    def min_value(s, alpha, beta):
        if game.is_terminal(s):
            return game.utility(s, me), None
        best, best_move = math.inf, None
        for move in game.actions(s):
            v, _ = max_value(game.result(s, move), alpha, beta)
            if v < best:
                best, best_move = v, move
            if best < alpha:
                return best, best_move
            beta = min(beta, best)
        return best, best_move

    return max_value(state, -math.inf, math.inf)
