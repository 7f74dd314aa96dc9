"""The deterministic synthetic corpus: sky physics, one generator per dataset, and the corpus driver.

- ``corpus``: the driver (``generate``, ``default_synthetic_dir``, ``revision``):
  a Hub-layout corpus of every dataset, written through ``evaluator.data.hub_layout``;
- ``sky``: ``make_file`` / ``sample_shapes`` for one file of one dataset,
  dispatched through the dataset table ``evaluator.data.datasets``;
- ``common``: the file record, seeding and the ``SkyGenerator`` record;
- ``ccd_files``, ``jwst_files``, ``sdss_files``: each dataset's generator;
- ``ccd``, ``detector``, ``scene``, ``jwst``, ``sdss``, ``profiles``: the physics;
- ``calibration``: the classical codecs' ratios on this data next to the paper's.

This package imports none of its modules here: the dataset table imports the
generators, and the driver imports the table, so re-exporting the driver here
would make every generator import the driver (an import cycle).
"""
