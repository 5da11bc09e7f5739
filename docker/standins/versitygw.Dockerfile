# Stand-in for versity/versitygw:v1.8.0, for `make compose-test`: the same release built from source on
# this machine (`hybridflow objectstore install`, as `make setup` does), at the official image's path and
# entry point, with wget for the Compose health check. The build context is the folder of the binary.
ARG BASE_IMAGE=hybridflow-standin/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends wget \
    && rm -rf /var/lib/apt/lists/*
COPY versitygw /app/versitygw
ENTRYPOINT ["/app/versitygw"]
