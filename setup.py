"""Packaging the repository-root data into the ``worker`` wheel (the rest is in pyproject.toml).

``sql/`` (migrations) and the dbt project (``dbt_project.yml``, ``profiles.yml``, ``dbt_project/``)
stay at the repository root (DESIGN.md "Layout") but production needs them, so the wheel carries
them as package data of two data-only packages mapped onto those places:

    sql/*.sql                                   -> worker/_resources/sql/
    dbt_project.yml, profiles.yml, dbt_project/ -> worker/_resources/dbt/

``worker.resources`` finds them there, or in the checkout when running from source (editable).
The package list lives here because pyproject.toml cannot add mapped packages to a ``find``.
``sandbox/`` is not a ``worker`` package: it is its own distribution (sandbox/pyproject.toml).
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

RESOURCES = {"worker._resources.sql": "sql", "worker._resources.dbt": "."}


class BuildPy(build_py):
    """Data-only packages: no modules (the root holds setup.py, which must not ship)."""

    def find_package_modules(self, package, package_dir):
        return [] if package in RESOURCES else super().find_package_modules(package, package_dir)


setup(
    packages=find_packages(include=["worker", "worker.*"]) + list(RESOURCES),
    package_dir=RESOURCES,
    cmdclass={"build_py": BuildPy},
    package_data={
        "": ["*.sql", "*.json"],
        "worker._resources.sql": ["*.sql"],
        "worker._resources.dbt": ["dbt_project.yml", "profiles.yml", "dbt_project/**/*"],
    },
)
