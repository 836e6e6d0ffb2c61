"""Notices and their delivery: reminders, meetings, the outbox, the sweep, sending."""
