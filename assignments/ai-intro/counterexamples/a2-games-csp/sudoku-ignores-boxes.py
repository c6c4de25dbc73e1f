# %% solve_sudoku
def solve_sudoku(grid):
    # Checks rows and columns but forgets the 3 x 3 boxes (an ignored constraint).
    rows = [set() for _ in range(9)]
    cols = [set() for _ in range(9)]
    board = [list(row) for row in grid]
    empty = []
    for r in range(9):
        for c in range(9):
            v = board[r][c]
            if v == 0:
                empty.append((r, c))
                continue
            if v in rows[r] or v in cols[c]:
                return None
            rows[r].add(v); cols[c].add(v)
    digits = set(range(1, 10))

    def candidates(r, c):
        return digits - rows[r] - cols[c]

    def backtrack():
        if not empty:
            return True
        i = min(range(len(empty)), key=lambda k: len(candidates(*empty[k])))
        r, c = empty[i]
        options = candidates(r, c)
        if not options:
            return False
        empty[i] = empty[-1]
        empty.pop()
        for v in options:
            board[r][c] = v
            rows[r].add(v); cols[c].add(v)
            if backtrack():
                return True
            rows[r].discard(v); cols[c].discard(v)
        board[r][c] = 0
        empty.append((r, c))
        return False

    return board if backtrack() else None
