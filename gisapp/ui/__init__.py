"""The planners' Streamlit interface.

Modules
-------
``i18n``        Vietnamese and English labels for every string shown.
``assets``      Leaflet and plugin files copied from installed packages into the app's
                ``static/`` folder, so the map works with no internet.
``map``         the Folium map built from result frames (the only Folium importer).
``present``     pure presentation helpers: filtering rows, headline counts, formatting.
``cache``       results shared by the server's sessions (measure, plan, compare, files).
``components``  Streamlit widgets and sections of the map-and-ranking page.
``planning_page``  costs, new sites, carrier packs, scenarios (gisapp.planning).
``progress_page``  snapshots, timeline, burn-down, changes (gisapp.tracking).
``app``         the page frame: collects choices into a run config, calls the pipeline,
                renders the chosen page. Only these five modules import Streamlit.

The interface never computes analysis: it calls :mod:`gisapp.pipeline` and shows the result.
"""
