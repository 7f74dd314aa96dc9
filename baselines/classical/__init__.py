"""The paper's classical codecs (JPEG-XL, JPEG-LS, JPEG-2000, RICE), in process, with the paper's settings.

``codecs`` holds them; ``bitstream_header`` the shape/dtype header their
bitstreams start with. The same modules run inside the baseline images.
"""

from baselines.classical.codecs import CODECS, ClassicalCodec, get_codec

__all__ = ["CODECS", "ClassicalCodec", "get_codec"]
