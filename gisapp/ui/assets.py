"""Leaflet and its plugins served from installed packages, never from a CDN.

Folium points at CDNs by default; with no internet nothing renders ("L is not
defined"). The files come from two PyPI packages that ship them with no dependencies
worth the name:

* ``django-js-lib-leaflet`` (Leaflet 1.9.4 JS, CSS and control images),
* ``xstatic-leaflet-markercluster`` (Leaflet.markercluster 1.4.1 JS and CSS).

For the Streamlit app, :func:`install_static` copies them at start-up into the
``static/`` folder beside the app (served by Streamlit under ``/app/static/`` when
``server.enableStaticServing`` is true; the folder holds a ``.gitignore`` so the
third-party files are never committed). For stand-alone HTML (benchmarks, saved maps)
:meth:`MapAssets.files` points at the installed files with ``file://`` URLs.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MapAssets", "install_static", "leaflet_dir", "markercluster_dir", "VENDOR"]

log = logging.getLogger(__name__)

#: sub-folder of ``static/`` holding the copied files
VENDOR = "gisapp_vendor"
#: where Streamlit serves ``static/`` (relative to the server root)
STREAMLIT_STATIC_URL = "/app/static"


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f"the package providing '{module}' is not installed; install gisapp[app] "
            "(django-js-lib-leaflet, xstatic-leaflet-markercluster)"
        )
    return Path(spec.origin).parent


def leaflet_dir() -> Path:
    """Folder with ``leaflet.js``, ``leaflet.css`` and ``images/`` (django-js-lib-leaflet)."""
    return _package_dir("js_lib_leaflet") / "static" / "js_lib_leaflet"


def markercluster_dir() -> Path:
    """Folder with ``leaflet.markercluster.js`` and its CSS (xstatic-leaflet-markercluster)."""
    return _package_dir("xstatic.pkg.leaflet_markercluster") / "data"


_FILES = {
    # name in the asset table: (source folder getter, relative path)
    "leaflet_js": (leaflet_dir, "leaflet.js"),
    "leaflet_css": (leaflet_dir, "leaflet.css"),
    "markercluster_js": (markercluster_dir, "leaflet.markercluster.js"),
    "markercluster_css": (markercluster_dir, "MarkerCluster.css"),
    "markercluster_default_css": (markercluster_dir, "MarkerCluster.Default.css"),
}
_SUBDIR = {"leaflet_js": "leaflet", "leaflet_css": "leaflet", "markercluster_js": "markercluster",
           "markercluster_css": "markercluster", "markercluster_default_css": "markercluster"}


@dataclass(frozen=True)
class MapAssets:
    """URLs of the JavaScript and CSS files a map needs."""

    leaflet_js: str
    leaflet_css: str
    markercluster_js: str
    markercluster_css: str
    markercluster_default_css: str

    @classmethod
    def streamlit(cls, base_url: str = STREAMLIT_STATIC_URL) -> MapAssets:
        """URLs under Streamlit's static route (files put there by :func:`install_static`)."""
        base = base_url.rstrip("/") + "/" + VENDOR
        return cls(**{k: f"{base}/{_SUBDIR[k]}/{rel}" for k, (_, rel) in _FILES.items()})

    @classmethod
    def files(cls) -> MapAssets:
        """``file://`` URLs of the installed package files (for stand-alone HTML)."""
        return cls(**{k: (get() / rel).resolve().as_uri() for k, (get, rel) in _FILES.items()})

    def map_js(self) -> list[tuple[str, str]]:
        return [("leaflet", self.leaflet_js)]

    def map_css(self) -> list[tuple[str, str]]:
        return [("leaflet_css", self.leaflet_css)]

    def cluster_js(self) -> list[tuple[str, str]]:
        return [("markerclusterjs", self.markercluster_js)]

    def cluster_css(self) -> list[tuple[str, str]]:
        return [("markerclustercss", self.markercluster_css),
                ("markerclusterdefaultcss", self.markercluster_default_css)]


def install_static(app_dir: str | Path) -> Path:
    """Copy Leaflet and MarkerCluster into ``<app_dir>/static/gisapp_vendor``.

    Idempotent and cheap (files are copied only when missing or of another size). A
    ``.gitignore`` with ``*`` is written into ``static/`` so the copies are never
    committed.

    Returns
    -------
    Path
        The vendor folder.
    """
    static = Path(app_dir) / "static"
    vendor = static / VENDOR
    vendor.mkdir(parents=True, exist_ok=True)
    ignore = static / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# copied at start-up from installed packages (gisapp.ui.assets)\n*\n")
    for key, (get, rel) in _FILES.items():
        src = get() / rel
        dst = vendor / _SUBDIR[key] / rel
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    images_src = leaflet_dir() / "images"
    images_dst = vendor / "leaflet" / "images"
    if not images_dst.exists():
        shutil.copytree(images_src, images_dst)
    log.debug("map assets in %s", vendor)
    return vendor
