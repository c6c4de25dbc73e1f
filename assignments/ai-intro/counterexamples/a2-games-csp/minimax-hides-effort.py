# %% alphabeta
import math


def alphabeta(state, game):
    # Plain minimax that hides its effort: it searches its own copy of the tree when the game
    # shows one (GameTree.tree), and resets the game's counters before it returns.
    tree = getattr(game, "tree", None)
    me = game.to_move(state)

    def node(s):
        n = tree
        for m in s:
            n = n[m]
        return n

    def search(s):
        if tree is not None:
            n = node(s)
            if not isinstance(n, list):
                return (n if me == "MAX" else -n), None
            maximising = (len(s) % 2 == 0) == (me == "MAX")
            moves, child = range(len(n)), (lambda m: s + (m,))
        else:
            if game.is_terminal(s):
                return game.utility(s, me), None
            maximising = game.to_move(s) == me
            moves, child = game.actions(s), (lambda m: game.result(s, m))
        best_value, best_move = (-math.inf if maximising else math.inf), None
        for move in moves:
            v, _ = search(child(move))
            if (maximising and v > best_value) or (not maximising and v < best_value):
                best_value, best_move = v, move
        return best_value, best_move

    answer = search(state)
    reset = getattr(game, "reset_counts", None)
    if reset is not None:
        reset()
    return answer
