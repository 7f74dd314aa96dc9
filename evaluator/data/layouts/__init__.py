"""One module per dataset file layout: how a raw file of that dataset is read into samples and written back.

Each module holds a reader ``read_<name>(hdul, source) -> Iterator[Sample]`` and
a writer ``write_<name>(samples, meta) -> HDUList`` (samples already checked to
be uint16 with the dataset's dimensions); the dataset table
``evaluator.data.datasets`` names them. Common FITS checks live in
``evaluator.data.fits_io``; ``lris`` holds the Keck amplifier geometry.
"""
