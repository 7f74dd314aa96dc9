# The image of one classical baseline of the AstroCompress paper (Section 4.1,
# Supplement C). baselines/baseline_images.py writes it into each codec's build
# context with CODEC_NAME replaced by the codec (its folder holds codec.toml).
# The SDK is in the codec base image; this layer adds the baseline modules and
# fixes the entrypoint.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY site-packages /opt/baselines
ENV PYTHONPATH=/opt/baselines
USER codec
ENTRYPOINT ["/opt/venv/bin/python", "-m", "baselines.serve", "CODEC_NAME"]
