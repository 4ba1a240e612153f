"""Packages are found, not listed: everything under generator/ with an __init__.py, imported as ``dekt``.

The rest of the packaging is in pyproject.toml; setuptools reads both.
"""

from setuptools import find_packages, setup

setup(
    packages=["dekt", *(f"dekt.{p}" for p in find_packages("generator")), "dekt.defaults.rules", "dekt.defaults.site"]
)
