"""What a reader sees in their language: numbers (:mod:`gisapp.i18n.numbers`).

This package sits at the bottom of gisapp, beside :mod:`gisapp.text`, so the exports, the
command line and the app format numbers and words the same way.
"""
