"""Run an untrusted codec image in hardened containers (DESIGN.md "Sandbox").

=====================  ==============================================================
module                 holds
=====================  ==============================================================
``policy``             the hardening list, its guard, the host config of a container
                       and the limits table of ``challenge/CONTRACT.md``
``image``              image inspection: id, digest, compressed size, the user it runs as
``workspace``          the host folders of a run and the reaper of stale ones
``container``          one codec container's lifecycle, deadline and failure classes
``round_trip``         one item through encoder and decoder, and :class:`RoundTrip`
``codec_pair``         :class:`SandboxedCodec`: the encoder and decoder containers
``portable``           the portable-decode check: fresh decoders under other environments
=====================  ==============================================================

The names callers use are re-exported here.
"""

from evaluator.sandbox.codec_pair import SandboxedCodec
from evaluator.sandbox.container import CodecContainer, remove_stale_containers
from evaluator.sandbox.image import ImageInfo, image_info, resolve_user
from evaluator.sandbox.policy import (
    HARDENING,
    HARDENING_FLAGS,
    LABEL,
    NEVER_SET,
    NOBODY,
    TMPFS_FLAGS,
    HardeningFlag,
    check_hardening,
    describe_hardening,
    host_config_kwargs,
    limits_table_markdown,
)
from evaluator.sandbox.round_trip import RoundTrip
from evaluator.sandbox.workspace import Workspace, reap_stale_workspaces

__all__ = [
    "HARDENING",
    "HARDENING_FLAGS",
    "LABEL",
    "NEVER_SET",
    "NOBODY",
    "TMPFS_FLAGS",
    "CodecContainer",
    "HardeningFlag",
    "ImageInfo",
    "RoundTrip",
    "SandboxedCodec",
    "Workspace",
    "check_hardening",
    "describe_hardening",
    "host_config_kwargs",
    "image_info",
    "limits_table_markdown",
    "reap_stale_workspaces",
    "remove_stale_containers",
    "resolve_user",
]
