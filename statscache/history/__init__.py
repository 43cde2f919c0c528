"""History: what each plugin's statistics miss, and fetching it from datagrepper to fill the gaps.

- :mod:`~statscache.history.gaps`: what is missing, planned from the coverage recorded;
- :mod:`~statscache.history.client`: pages of datagrepper's ``/raw``, retried, and checked whole;
- :mod:`~statscache.history.transfer`: one HTTP exchange bounded in time, size and place;
- :mod:`~statscache.history.backfill`: windows of history fetched and handed to the pipeline;
- :mod:`~statscache.history.fill`: a pipeline's gaps planned, its client and its backfill made (hub and commands);
- :mod:`~statscache.history.catchup`: the hub's backfill, at start-up and after failures.
"""
