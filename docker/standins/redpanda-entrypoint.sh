#!/bin/sh
# The Redpanda image's entry point, played by hybridflow.deploy.standins: `redpanda start …` runs a
# Kafka broker with the same listeners; anything else runs as is.
exec python -m hybridflow.deploy.standins "$@"
