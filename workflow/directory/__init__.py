"""The directory: institutions, units, people and partnerships, each edit versioned and logged."""
