import shutil
import subprocess
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: The chart library's files (npm's uplot, pinned in package.json and package-lock.json) and where the pages load them.
CHART_FILES = ("uPlot.iife.min.js", "uPlot.min.css")
VENDOR = HERE / "statscache" / "web" / "static" / "vendor"


class build_py_with_charts(build_py):
    """Installs the chart library from the npm registry (``npm ci``) and copies it among the package's static files.

    Runs for every install, editable ones included; skipped when the files are there already (an sdist carries them).
    """

    def run(self) -> None:
        if not all((VENDOR / name).exists() for name in CHART_FILES):
            npm = shutil.which("npm")
            if npm is None:
                raise SystemExit("statscache's pages need npm to install their chart library: apt-get install npm")
            subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=HERE, check=True)
            VENDOR.mkdir(parents=True, exist_ok=True)
            for name in CHART_FILES:
                shutil.copyfile(HERE / "node_modules" / "uplot" / "dist" / name, VENDOR / name)
        super().run()


with open("README.rst", encoding="utf-8") as readme:
    long_description = readme.read()

setup(
    name="statscache",
    version="0.2.0",
    description="Live statistics of a fedmsg message bus, kept in a database and served over HTTP",
    long_description=long_description,
    long_description_content_type="text/x-rst",
    license="LGPL-2.1-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["statscache", "statscache.*"]),
    # py.typed: type checkers read statscache's annotations (plugins subclass BasePlugin).
    package_data={
        "statscache": ["py.typed"],
        "statscache.store.migrations": ["script.py.mako"],
        "statscache.demo": ["*.jsonl.gz"],
        "statscache.web": ["templates/*.html", "static/*", "static/vendor/*"],
    },
    cmdclass={"build_py": build_py_with_charts},
    install_requires=[
        # moksha loads entry points through pkg_resources: older setuptools cannot
        # match its dotted dist names, 82+ no longer ships pkg_resources.
        "setuptools>=75.8.2,<82",
        "fedmsg[consumers,commands]==1.1.7",
        "moksha.hub==1.5.17",
        "SQLAlchemy>=2.0,<2.2",
        "alembic>=1.13,<2",  # the schema's revisions (statscache db upgrade)
        "flask>=3.0",
        "requests>=2.31",
        "twisted>=23.8",
        "prometheus_client>=0.20",
        "orjson>=3.9",
        # statscache-web extends waitress's connection maintenance (statscache/web/server.py):
        # a new major release may change what it relies on.
        "waitress>=3.0,<4",
        "pyzmq>=25",  # fedmsg's transport; the demo publishes through it too
        "tenacity>=8.2",  # backfill: retries with backoff of datagrepper pages
        "tqdm>=4.66",  # the statscache command's progress bars
        # fedmsg.meta's processors (users, packages of Fedora messages); builds gssapi: libkrb5-dev
        "fedmsg_meta_fedora_infrastructure==0.31.0",
        # Today's bus: its configuration file, and the schema registry (fedora.messages) naming users and packages.
        "fedora-messaging>=3.9,<4",
    ],
    extras_require={
        # The README's production recipe: gunicorn workers behind a reverse proxy.
        "production": ["gunicorn>=23", "python-json-logger>=3"],  # JSON logs: deploy/logging/
        "test": [
            "pytest>=8",
            "bodhi-messages==26.4.0",  # real fedora-messaging schemas for the AMQP tests
            "hypothesis>=6.100",
            "docutils>=0.20",
            "ruff==0.17.6",  # pinned: its formatting changes between releases
            # pinned: what mypy and the stubs accept changes between releases (tests/unit/test_types.py)
            "mypy==2.4.1",
            "types-requests==2.33.0.20261030",
            "types-tqdm==4.70.0.20261106",
            "types-waitress==3.0.1.20260724",
            "psycopg[binary]>=3.1",
            "schemathesis>=4.0",
            "gunicorn>=23",  # the README's production recipe is tested too
            "python-json-logger>=3",  # and its JSON logs (deploy/logging/)
            "selenium>=4.20",  # the pages' tests drive Debian's chromium through chromium-driver
        ],
    },
    entry_points={
        "console_scripts": [
            "statscache-web = statscache.cli.web:main",
            "statscache-run = statscache.cli.run:main",
            "statscache = statscache.cli.maintenance:main",
        ],
        "moksha.consumer": [
            "statscache = statscache.hub.consumer:StatscacheConsumer",
        ],
        "moksha.producer": [
            "statscache = statscache.hub.producer:StatscacheProducer",
        ],
        "statscache.plugin": [
            "volume = statscache.plugins.builtin.volume:Volume",
            "volume-by-category = statscache.plugins.builtin.volume:VolumeByCategory",
            "volume-by-topic = statscache.plugins.builtin.volume:VolumeByTopic",
            "volume-by-user = statscache.plugins.builtin.volume:VolumeByUser",
            "volume-by-package = statscache.plugins.builtin.volume:VolumeByPackage",
            "build-outcomes = statscache.plugins.builtin.builds:BuildOutcomes",
            "latest-builds = statscache.plugins.builtin.builds:LatestBuilds",
            "pagure-contributions = statscache.plugins.builtin.pagure:PagureContributions",
            "pagure-contributions-by-user = statscache.plugins.builtin.pagure:PagureContributionsByUser",
            "pagure-contributions-by-project = statscache.plugins.builtin.pagure:PagureContributionsByProject",
            "releng-dashboard = statscache.plugins.builtin.releng:RelengDashboard",
            "user-activity = statscache.plugins.builtin.activity:UserActivity",
            "user-activity-by-category = statscache.plugins.builtin.activity:UserActivityByCategory",
            "latest-by-topic = statscache.plugins.builtin.activity:LatestByTopic",
            "latest-by-category = statscache.plugins.builtin.activity:LatestByCategory",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Framework :: Flask",
    ],
)
