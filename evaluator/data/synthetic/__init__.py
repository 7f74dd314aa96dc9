"""The synthetic generators: sky physics and one generator per dataset (the default data's source).

- ``common``: the file record, seeding and the ``SkyGenerator`` record;
- ``ccd_files``, ``jwst_files``, ``sdss_files``: each dataset's generator;
- ``ccd``, ``detector``, ``scene``, ``jwst``, ``sdss``, ``profiles``: the physics.

What builds the corpus from them stands beside this package, above it
(import-linter forbids this package to import the rest of ``evaluator.data``):
``evaluator.data.synthetic_corpus`` (the driver: ``generate``,
``default_synthetic_dir``, ``revision``, a Hub-layout corpus of every dataset),
``synthetic_sky`` (``make_file`` / ``sample_shapes`` for one file of one dataset,
dispatched through the dataset table ``evaluator.data.datasets``),
``synthetic_truth`` (the injected stars' sidecars) and ``synthetic_calibration``
(the classical codecs' ratios on this data next to the paper's).
"""
