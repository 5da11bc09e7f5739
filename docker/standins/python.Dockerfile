# Stand-in for python:3.11.14-slim-bookworm (the Dockerfile's PYTHON_IMAGE), for `make compose-test`:
# Debian 12's own Python 3.11 with venv, `python` on PATH, on the debootstrap'ed base.
ARG BASE_IMAGE=hybridflow-standin/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python-is-python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python --version
CMD ["python"]
