# Stand-in for maven:3.9.9-eclipse-temurin-17 (the Dockerfile's MAVEN_IMAGE), for `make compose-test`:
# Debian 12's Maven on its OpenJDK 17, on the debootstrap'ed base.
ARG BASE_IMAGE=hybridflow-standin/debian:bookworm
FROM ${BASE_IMAGE}
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends maven openjdk-17-jre-headless ca-certificates-java \
    && rm -rf /var/lib/apt/lists/* \
    && mvn -v
CMD ["mvn", "-v"]
