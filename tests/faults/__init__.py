"""Fault and hostile-input tests: each one ends by comparing the statistics with a recount of what was published."""
