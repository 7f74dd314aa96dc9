"""The codecs archives run today (fpack RICE_1/HCOMPRESS_1/GZIP_2, bzip2, zstd, xz), on the item's FITS file.

``fits_file`` writes and reads the uncompressed FITS file an archive stores;
``codecs`` runs the tools on it. The same modules run inside the archive
baseline images (which carry the tools' Debian packages).
"""

from baselines.archive.codecs import ARCHIVE_CODECS, ArchiveCodec, get_archive_codec

__all__ = ["ARCHIVE_CODECS", "ArchiveCodec", "get_archive_codec"]
