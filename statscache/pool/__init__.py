"""Several pipelines in processes of their own, fed by one consumer: statscache on more than one core.

The consumer's process only takes messages off the bus and hands each topic's
to one worker (:mod:`.routing`); each worker (:mod:`.worker`) is a whole
pipeline, with every plugin, writing to the shared database, where the ledger
keeps every message counted once whichever worker writes it. Live coverage is
claimed by the consumer's process alone (:mod:`.pool`): no further than every
worker has written.
"""
