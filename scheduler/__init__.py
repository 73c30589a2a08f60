"""Scheduled jobs (APScheduler 3) and the outbox drainer (`scheduler.outbox`).

Jobs call `kinerja` services and only ever write outbox rows. The drainer delivers every push
(DESIGN.md rule 2) through the channels' `Sender`s, which the composition root hands it:
nothing here imports a channel.
"""
