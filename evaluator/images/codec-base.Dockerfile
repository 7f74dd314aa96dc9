# The codec base image (evaluator/images/codec_base.py fills the context).
# Offline: BASE_IMAGE is the debootstrapped astrocompress/debian-python root.
# Online: any Debian image (e.g. debian:bookworm-slim); ensure-python.sh
# then installs python3 with apt. Classic builder compatible (Docker 20.10+).
ARG BASE_IMAGE

FROM ${BASE_IMAGE} AS runtime
USER root
COPY ensure-python.sh /tmp/ensure-python.sh
RUN sh /tmp/ensure-python.sh && rm /tmp/ensure-python.sh \
 && (grep -q '^codec:' /etc/group || echo 'codec:x:10001:' >> /etc/group) \
 && (grep -q '^codec:' /etc/passwd || echo 'codec:x:10001:10001:codec:/work:/usr/sbin/nologin' >> /etc/passwd) \
 && mkdir -p /work/in /work/out && chown 10001:10001 /work/out

FROM runtime AS venv
COPY wheels /tmp/wheels
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \
      --find-links /tmp/wheels -r /tmp/requirements.txt
RUN /opt/venv/bin/python -c "import numpy, imagecodecs; from challenge.sdk import serve"

FROM runtime
COPY --from=venv /opt/venv /opt/venv
# glibc's dynamic mmap threshold hands every large array back to the kernel
# and re-faults it on the next request: ~10 % of a 0.07 s RICE encode of a
# Hubble frame, measured (scripts/bench_sandbox_overhead.py). Fixed thresholds
# keep up to 256 MiB of freed heap for reuse across requests (inside the
# container's memory limit, which still applies).
ENV MALLOC_MMAP_THRESHOLD_=268435456 \
    MALLOC_TRIM_THRESHOLD_=268435456
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8 \
    HOME=/tmp
WORKDIR /work
