"""Email for Accord: templates, messages, calendar invitations and the mail backends.

Plain inputs in (frozen dataclasses, no ORM rows), email out; no Celery and no workflow services,
so the tasks that call it stay thin and this package tests without a broker.
"""
