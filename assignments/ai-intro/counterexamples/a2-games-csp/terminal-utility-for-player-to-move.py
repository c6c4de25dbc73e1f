# %% alphabeta
import math


def alphabeta(state, game):
    # Scores every terminal position for the player to move THERE (the loser), not for the
    # player at the root: the perspective flips at every leaf.
    me = game.to_move(state)

    def search(s, alpha, beta):
        if game.is_terminal(s):
            return game.utility(s, game.to_move(s)), None
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
