"""Real services the tests start themselves: PostgreSQL, datagrepper, fedmsg-hub."""
