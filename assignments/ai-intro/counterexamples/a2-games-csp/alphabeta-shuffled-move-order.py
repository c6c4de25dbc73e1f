# %% alphabeta
import math
import random


def alphabeta(state, game):
    # Correct alpha-beta that looks at the moves in a shuffled order (a fixed seed): right
    # values and moves, and it prunes well within the limits on result() calls, but it
    # evaluates other leaves, in another order, than alpha-beta in the order game.actions gives.
    me = game.to_move(state)
    rng = random.Random(0)

    def search(s, alpha, beta):
        if game.is_terminal(s):
            return game.utility(s, me), None
        maximising = game.to_move(s) == me
        best_value, best_move = (-math.inf if maximising else math.inf), None
        moves = list(game.actions(s))
        rng.shuffle(moves)
        for move in moves:
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
