"""Probabilistic CLV: the buy-till-you-die maths (btyd) and the warehouse tables built from it (tables)."""
