# Stand-in for redpandadata/redpanda:v25.2.4, for `make compose-test`: the app image (built from the
# real Dockerfile, with the Kafka broker jars of jvm/pom.xml) plus `redpanda` and `rpk` commands played
# by hybridflow.deploy.standins, so the Compose file's command, health check and topic-init run unchanged.
ARG APP_IMAGE=hybridflow-app:0.1.0
FROM ${APP_IMAGE}
USER root
COPY docker/standins/rpk /usr/bin/rpk
COPY docker/standins/redpanda-entrypoint.sh /entrypoint.sh
RUN test -n "$(ls /app/.state/jars/kafka/*.jar)" \
    && mkdir -p /var/lib/redpanda/data \
    && chown hybridflow:hybridflow /var/lib/redpanda/data
USER hybridflow
ENTRYPOINT ["/entrypoint.sh"]
CMD ["redpanda", "start"]
