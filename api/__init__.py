"""The HTTP API (FastAPI): routes only; every rule lives in the workflow services it calls."""
