# JSON logs for fedmsg-hub (statscache's hub): put this file in the hub's fedmsg.d/ beside
# statscache.py; read after it (its name sorts later), it replaces the console's format.
# One JSON object a line, for a log collector.
config = {
    "logging": {
        "version": 1,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "statscache": {"level": "INFO", "propagate": False, "handlers": ["console"]},
            "moksha": {"level": "INFO", "propagate": False, "handlers": ["console"]},
            "fedmsg": {"level": "INFO", "propagate": False, "handlers": ["console"]},
        },
    },
}
