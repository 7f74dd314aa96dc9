"""The tables and types every other part builds on.

Settings (the environment, read in one place), the track table, the schema of
records and item rows, failure kinds, metrics, versions, the codec manifest,
checksums, URLs the user gives, the rules for participant text. Imports only
``evaluator.sdk``.
"""
