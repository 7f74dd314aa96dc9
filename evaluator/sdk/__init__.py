"""The participant SDK and the entropy coder: one installable unit, the bottom layer.

Codec images install it as a wheel (``evaluator.images.sdk_wheel``), so it imports
nothing of the platform but itself: ``server`` (the JSON-lines ``serve`` loop codecs
call, by its public name ``challenge.sdk``), ``coding`` (range coding of discretised
logistic mixtures, ``challenge.sdk.coding``), ``errors`` (the error family the whole
platform raises: every error says what went wrong, what to do, and its exit code) and
``named_table`` (the lookup every table of the platform uses).
"""
