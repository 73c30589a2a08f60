"""Scheduled jobs (APScheduler 3) and the outbox dispatcher.

Reminders, deadlines and broadcasts arrive with the scheduler issue; the outbox table they write to
already exists (storage/models.py), so every push will go through it from the start.
"""
