"""Search strategies of :mod:`promoter_model.design`: greedy ISM-guided, beam, genetic.

Each works on integer base codes ``(n, L)`` and calls ``score(codes) -> (score, mean, sd)``
once per step on the whole batch of candidates (every single-base variant of every current
candidate, or a whole GA generation), so a step is one batched predictor call. Each returns
``(codes, paths)``: the designs, best first, and for each the ordered list of
``(position, new_code)`` steps that built it from the start.
"""

from __future__ import annotations

import numpy as np

from .constraints import Constraints, feasible, mutable_mask


def neighbours(codes: np.ndarray, positions: np.ndarray):
    """Every single-base variant at ``positions`` of every candidate.

    Returns
    -------
    variants : np.ndarray, shape (n * 3m, L)
    parent : np.ndarray, shape (n * 3m,)   row of ``codes`` each variant came from
    pos : np.ndarray, shape (n * 3m,)      the changed position
    base : np.ndarray, shape (n * 3m,)     its new code
    """
    n, L = codes.shape
    m = positions.size
    pos = np.repeat(positions, 3)
    shift = np.tile(np.arange(1, 4), m)
    out = np.repeat(codes[:, None, :], 3 * m, axis=1)
    new = (codes[:, pos] + shift[None, :]) % 4
    out[:, np.arange(3 * m), pos] = new
    return (out.reshape(n * 3 * m, L), np.repeat(np.arange(n), 3 * m), np.tile(pos, n),
            new.ravel())


def _scored_variants(codes, start, positions, constraints, score):
    """Feasible variants of ``codes`` with their scores (one predictor call)."""
    var, parent, pos, base = neighbours(codes, positions)
    ok = feasible(var, start, constraints)
    var, parent, pos, base = var[ok], parent[ok], pos[ok], base[ok]
    s = score(var)[0] if len(var) else np.zeros(0)
    return var, parent, pos, base, s


def _rank(codes, scores, start):
    """Row order: best score first; among equal scores, fewer mutations first."""
    return np.lexsort(((codes != start[None]).sum(axis=1), -np.round(scores, 9)))


def _unique_best(codes, scores, k, start):
    """Return the indices of the ``k`` best distinct rows (ties: fewer mutations first)."""
    order = _rank(codes, scores, start)
    _, first = np.unique(codes[order], axis=0, return_index=True)
    return order[np.sort(first)][:k]


def check_min_distance(min_distance, max_mutations: int) -> int:
    """``min_distance`` as an int, or a ValueError naming the bound it breaks.

    Two designs each at most ``max_mutations`` from the start differ at most at
    ``2 * max_mutations`` positions.
    """
    try:
        d = int(min_distance)
    except (TypeError, ValueError):
        raise ValueError(f"--min-distance {min_distance!r} is not a whole number") from None
    if not 1 <= d <= 2 * int(max_mutations):
        raise ValueError(f"--min-distance {d} is outside 1..{2 * int(max_mutations)}: designs "
                         f"at most {max_mutations} mutations from the start differ from one "
                         f"another at {2 * int(max_mutations)} positions at most")
    return d


def diverse_best(codes, scores, k: int, start, min_distance: int = 1) -> np.ndarray:
    """Indices of up to ``k`` rows, best first, each at least ``min_distance`` positions
    from every row taken before it (``min_distance=1``: the best distinct rows).

    Greedy by rank (score, then fewer mutations): one vectorised distance per candidate
    against the rows taken, at most ``len(codes)`` candidates.
    """
    codes = np.asarray(codes)
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    taken: list = []
    for i in _rank(codes, np.asarray(scores), start).tolist():
        if len(taken) == k:
            break
        if not taken or (codes[taken] != codes[i]).sum(axis=1).min() >= min_distance:
            taken.append(i)
    return np.asarray(taken, dtype=np.int64)


def spread_out(run, start, constraints: Constraints, n_designs: int, min_distance: int,
               candidates: int, score):
    """Designs at least ``min_distance`` apart, found one at a time.

    Each round runs ``run(constraints, candidates) -> (codes, paths)`` with the positions
    earlier designs changed kept fixed, and takes the best candidate that improves on the
    start and lies ``min_distance`` from every earlier design. Stops early when none does.
    """
    from dataclasses import replace

    chosen, paths = [], []
    blocked = set(constraints.keep)
    base = score(start[None])[0][0]
    for _ in range(int(n_designs)):
        try:
            codes, found = run(replace(constraints, keep=tuple(sorted(blocked))), candidates)
        except ValueError:  # no position left to change
            break
        if not len(codes):
            break
        s = score(codes)[0]
        ok = s > base + 1e-9
        if chosen:
            ok &= (codes[:, None] != np.stack(chosen)[None]).sum(axis=2).min(axis=1) \
                >= min_distance
        if not ok.any():
            break
        i = int(np.flatnonzero(ok)[np.argmax(s[ok])])
        chosen.append(codes[i])
        paths.append(found[i])
        blocked |= set(np.flatnonzero(codes[i] != start).tolist())
    if not chosen:
        return np.zeros((0, start.size), dtype=start.dtype), []
    return np.stack(chosen), paths


def greedy(start, constraints: Constraints, score, n_designs: int, progress=None):
    """Greedy ISM-guided substitution, ``n_designs`` paths in parallel.

    Step 1 takes the ``n_designs`` best distinct single mutations of the start; from then on
    each path takes its best single mutation while that improves its score and the budget
    allows. Every step is one batched call over all 3L variants of every live path.
    """
    positions = np.flatnonzero(mutable_mask(start, constraints))
    cur = start[None].copy()
    cur_score = score(cur)[0]
    var, parent, pos, base, s = _scored_variants(cur, start, positions, constraints, score)
    pick = _unique_best(var, s, n_designs, start)
    cur, cur_score = var[pick], s[pick]
    paths = [[(int(pos[i]), int(base[i]))] for i in pick]
    live = np.ones(len(cur), dtype=bool)
    for step in range(1, constraints.max_mutations):
        if progress:
            progress(step / constraints.max_mutations, f"greedy step {step + 1}")
        idx = np.flatnonzero(live)
        if not idx.size:
            break
        var, parent, pos, base, s = _scored_variants(cur[idx], start, positions, constraints,
                                                     score)
        best = np.full(idx.size, -1)
        if s.size:
            order = np.lexsort((-s, parent))  # by parent, best first within each
            first = order[np.r_[True, parent[order][1:] != parent[order][:-1]]]
            best[parent[first]] = first
        for j, row in enumerate(idx):  # at most n_designs paths
            b = best[j]
            if b < 0 or s[b] <= cur_score[row] + 1e-12:
                live[row] = False
                continue
            cur[row], cur_score[row] = var[b], s[b]
            paths[row].append((int(pos[b]), int(base[b])))
    keep = _unique_best(cur, cur_score, n_designs, start)
    return cur[keep], [paths[i] for i in keep]


def beam(start, constraints: Constraints, score, n_designs: int, width: int | None = None,
         progress=None):
    """Beam search: keep the ``width`` best distinct candidates after every step.

    The beam keeps its members when their variants are worse, so a design is never worse
    than a shorter one seen earlier.
    """
    width = max(int(width or 2 * n_designs), n_designs)
    positions = np.flatnonzero(mutable_mask(start, constraints))
    cur = start[None].copy()
    cur_score = score(cur)[0]
    paths = [[]]
    for step in range(constraints.max_mutations):
        if progress:
            progress(step / constraints.max_mutations, f"beam step {step + 1}")
        var, parent, pos, base, s = _scored_variants(cur, start, positions, constraints, score)
        pool = np.concatenate([cur, var])
        pool_score = np.concatenate([cur_score, s])
        pool_paths = paths + [paths[p] + [(int(q), int(b))] for p, q, b in
                              zip(parent.tolist(), pos.tolist(), base.tolist())]
        keep = _unique_best(pool, pool_score, width, start)
        cur, cur_score = pool[keep], pool_score[keep]
        paths = [pool_paths[i] for i in keep]
    designed = np.array([bool(p) for p in paths])
    cur, cur_score = cur[designed], cur_score[designed]
    paths = [p for p in paths if p]
    keep = _unique_best(cur, cur_score, n_designs, start)
    return cur[keep], [paths[i] for i in keep]


def _repair_budget(children, start, budget, rng):
    """Revert random surplus mutations so no child is further than ``budget`` from start."""
    changed = children != start[None]
    pri = np.where(changed, rng.random(children.shape), -1.0)
    rank = np.argsort(np.argsort(-pri, axis=1), axis=1)
    revert = changed & (rank >= budget)
    children[revert] = np.broadcast_to(start, children.shape)[revert]
    return children


def genetic(start, constraints: Constraints, score, n_designs: int, rng,
            population: int = 64, generations: int = 20, progress=None):
    """Run a genetic algorithm: tournament selection, uniform crossover, point mutation, elitism.

    Children that break the budget are repaired (surplus mutations reverted at random);
    children that break another constraint score minus infinity. Paths list a design's
    mutations 5' to 3' (a GA has no order of steps).
    """
    mask = mutable_mask(start, constraints)
    positions = np.flatnonzero(mask)
    P, L, K = int(population), start.size, constraints.max_mutations
    if not positions.size:
        raise ValueError("no position may change: the constraints keep every base")

    def point_mutate(pop, rows):
        pos = positions[rng.integers(0, positions.size, rows.sum())]
        pop[rows, pos] = (pop[rows, pos] + rng.integers(1, 4, rows.sum())) % 4
        return pop

    def evaluate(pop):
        ok = feasible(pop, start, constraints)
        out = np.full(len(pop), -np.inf)
        if ok.any():
            out[ok] = score(pop[ok])[0]
        return out

    pop = np.repeat(start[None], P, axis=0)
    n_mut = rng.integers(1, K + 1, P)
    pri = np.where(mask[None], rng.random((P, L)), -1.0)
    rank = np.argsort(np.argsort(-pri, axis=1), axis=1)
    hit = mask[None] & (rank < n_mut[:, None])
    pop[hit] = (pop[hit] + rng.integers(1, 4, hit.sum())) % 4
    fit = evaluate(pop)
    elite = max(1, P // 8)
    for gen in range(generations):
        if progress:
            progress(gen / generations, f"generation {gen + 1} of {generations}")
        a, b = rng.integers(0, P, (2, P, 2))
        p1 = np.where(fit[a[:, 0]] >= fit[a[:, 1]], a[:, 0], a[:, 1])
        p2 = np.where(fit[b[:, 0]] >= fit[b[:, 1]], b[:, 0], b[:, 1])
        children = np.where(rng.random((P, L)) < 0.5, pop[p1], pop[p2])
        children = point_mutate(children, rng.random(P) < 0.7)
        children = _repair_budget(children, start, K, rng)
        child_fit = evaluate(children)
        best = _rank(pop, fit, start)[:elite]
        pool, pool_fit = np.concatenate([pop[best], children]), np.concatenate([fit[best],
                                                                                child_fit])
        keep = _rank(pool, pool_fit, start)[:P]
        pop, fit = pool[keep], pool_fit[keep]
    designed = np.isfinite(fit) & (pop != start[None]).any(axis=1)
    pop, fit = pop[designed], fit[designed]
    keep = _unique_best(pop, fit, n_designs, start)
    paths = [[(int(q), int(d[q])) for q in np.flatnonzero(d != start)] for d in pop[keep]]
    return pop[keep], paths
