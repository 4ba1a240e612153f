"""The public site (MkDocs) and the private lists built from the same data."""

from .publish import SiteBuilt, build_site

__all__ = ["SiteBuilt", "build_site"]
