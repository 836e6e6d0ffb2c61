"""Seeding: read, check and store the partnerships of the seed file."""
