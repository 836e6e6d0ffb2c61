"""Ops views: what is pending, sent and failed, for the people who run Accord."""
