"""The data: datasets and their FITS layouts, the Hub corpus, hidden splits, the synthetic corpus.

``datasets`` is the dataset table; ``layouts/`` reads and writes each dataset's raw files
and ``synthetic/`` generates them (neither imports anything else of this package:
import-linter checks it); ``synthetic_corpus``, ``synthetic_sky``, ``synthetic_truth`` and
``synthetic_calibration`` build the synthetic default corpus from the table;
``data_source`` resolves ``--data``.
"""
