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
``protocol``           the JSON-lines conversation with a codec process
``verify``             the round trip's verdicts: lossless, within the bound
``profiles``           the hardware profiles, the run fingerprint
``docker_engine``      the connection to the Docker engine
``cpu_lease``          which cores a run may use, leased across processes
=====================  ==============================================================

Nothing is re-exported here: callers import the module that defines a name, so
``evaluator.sandbox.profiles`` (which the public leaderboard reads) comes without
the container code.
"""
