"""The `accord` command line: a thin layer over the workflow services."""
