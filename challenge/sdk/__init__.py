"""The codec SDK, by its public name: ``from challenge.sdk import serve``.

The implementation is ``evaluator.sdk.server`` (the bottom layer, so the
baselines use the very same server); codec base images carry it under both
names.
"""

from evaluator.sdk.server import BOUND_KEYWORD, Decoder, Encoded, Encoder, RequestError, serve, supports_bound

__all__ = ["BOUND_KEYWORD", "Decoder", "Encoded", "Encoder", "RequestError", "serve", "supports_bound"]
