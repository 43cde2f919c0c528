"""The revisions, oldest first: ``0001_baseline``, ``0002_heartbeat``, ``0003_levels``, ``0004_releng_milestones``..."""
