"""The API's routes, one module per resource; each calls the workflow service the CLI calls."""
