"""The command line: ``statscache-run`` (daemon and web app together), ``statscache-web`` (the web app)
and ``statscache`` (maintenance beside the daemon: backfill, rebuild)."""
