"""The plugins statscache ships: volumes, builds, pagure contributions and the release-engineering board.

Each is installed as a ``statscache.plugin`` entry point, exactly as a third-party plugin is.
"""
