"""The planners' Streamlit interface.

Modules
-------
``i18n``        Vietnamese and English labels for every string shown.
``assets``      Leaflet and plugin files copied from installed packages into the app's
                ``static/`` folder, so the map works with no internet.
``map``         the Folium map built from result frames (the only Folium importer).
``present``     pure presentation helpers: filtering rows, headline counts, formatting.
``components``  Streamlit widgets and page sections (with ``app``, the only Streamlit importers).
``app``         the page: collects choices into a run config, calls the pipeline, renders.

The interface never computes analysis: it calls :mod:`gisapp.pipeline` and shows the result.
"""
