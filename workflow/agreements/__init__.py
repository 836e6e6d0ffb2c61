"""Agreements and their moves: proposing, one move, time-driven moves, reading."""
