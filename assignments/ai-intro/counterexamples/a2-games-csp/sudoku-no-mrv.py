# %% solve_sudoku
def solve_sudoku(grid):
    # Plain backtracking: fills the empty cells in row order, no most-constrained-cell choice.
    rows = [set() for _ in range(9)]
    cols = [set() for _ in range(9)]
    boxes = [set() for _ in range(9)]
    board = [list(row) for row in grid]
    empty = []
    for r in range(9):
        for c in range(9):
            v = board[r][c]
            if v == 0:
                empty.append((r, c))
                continue
            b = 3 * (r // 3) + c // 3
            if v in rows[r] or v in cols[c] or v in boxes[b]:
                return None
            rows[r].add(v); cols[c].add(v); boxes[b].add(v)

    def backtrack(i):
        if i == len(empty):
            return True
        r, c = empty[i]
        b = 3 * (r // 3) + c // 3
        for v in range(1, 10):
            if v in rows[r] or v in cols[c] or v in boxes[b]:
                continue
            board[r][c] = v
            rows[r].add(v); cols[c].add(v); boxes[b].add(v)
            if backtrack(i + 1):
                return True
            rows[r].discard(v); cols[c].discard(v); boxes[b].discard(v)
        board[r][c] = 0
        return False

    return board if backtrack(0) else None
