"""The planners' app: ``streamlit run streamlit_app.py`` (opens on the demo province).

A thin shell: the page lives in :mod:`gisapp.ui.app`; all computing is in :mod:`gisapp`.
"""

from pathlib import Path

from gisapp.ui.app import main

main(app_dir=Path(__file__).resolve().parent)
