"""The site server's pages for managers and tracers: HTML, local assets, a live stream."""

from .site_pages import SitePages

__all__ = ["SitePages"]
