"""The release-engineering board: composes stage by stage, update pushes and syncs, cloud image uploads
and tests, koji's image tasks, OSTree commits (:class:`RelengDashboard`)."""

from statscache.plugins.builtin.releng.dashboard import RelengDashboard

__all__ = ["RelengDashboard"]
