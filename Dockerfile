# syntax=docker/dockerfile:1
# One image for every role of the pipeline (the `hybridflow` CLI is the entry point):
#   producer      hybridflow produce --rate 20
#   stream job    hybridflow stream            (driver; SPARK_MASTER=spark://spark-master:7077)
#   Spark master  hybridflow cluster master    (pyspark's own org.apache.spark.deploy.master.Master)
#   Spark worker  hybridflow cluster worker
#   bucket init   hybridflow objectstore init
# and, with `--target jupyter`, JupyterLab on the same environment.
#
# Base images are pinned; the connector jars are resolved at build time by Maven from the
# committed jvm/pom.xml, so their versions are the pom's (no version is repeated here).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG MAVEN_IMAGE=maven:3.9.9-eclipse-temurin-17

# --- 1. the Spark connector jars (Kafka, S3A + AWS SDK bundle, JDBC), from jvm/pom.xml ------------------
FROM ${MAVEN_IMAGE} AS jars
WORKDIR /build
COPY jvm/pom.xml jvm/pom.xml
RUN mvn -q -B -f jvm/pom.xml -P spark dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory=/jars/spark \
    && ls /jars/spark/*.jar

# --- 2. the application: slim Python + Java 17 runtime + pinned Python packages -------------------------
FROM ${PYTHON_IMAGE} AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# The JRE's postinst needs the man1 folder that slim images strip.
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/* \
    && java -version
RUN python -m venv /opt/venv \
    && groupadd --system --gid 10001 hybridflow \
    && useradd --system --uid 10001 --gid hybridflow --create-home --home-dir /home/hybridflow hybridflow
WORKDIR /app
# Dependencies first (a layer that survives code edits); the project itself, editable, last.
COPY requirements.txt ./
RUN grep -v '^-e ' requirements.txt > /tmp/requirements-deps.txt \
    && pip install -r /tmp/requirements-deps.txt \
    && rm /tmp/requirements-deps.txt
COPY pyproject.toml README.md ./
COPY jvm/pom.xml jvm/pom.xml
COPY lib/ lib/
RUN pip install --no-deps -e .
# Where `make setup` would put them (settings.jars_dir); the stamp marks them as resolved from this pom.
COPY --from=jars /jars/spark /app/.state/jars/spark
RUN touch /app/.state/jars/spark/.resolved \
    && mkdir -p /app/data /app/notebooks /app/.state/logs /app/.state/run /app/.state/spark \
    && chown -R hybridflow:hybridflow /app/data /app/notebooks /app/.state
USER hybridflow
ENTRYPOINT ["hybridflow"]
CMD ["--help"]

# --- 3. JupyterLab for the notebooks (same environment, one extra pinned package) -----------------------
FROM app AS jupyter
USER root
COPY docker/requirements-jupyter.txt /tmp/requirements-jupyter.txt
RUN pip install -r /tmp/requirements-jupyter.txt && rm /tmp/requirements-jupyter.txt
USER hybridflow
EXPOSE 8888
# The token comes from JUPYTER_TOKEN (read by Jupyter itself), never from the image.
ENTRYPOINT ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--ServerApp.root_dir=/app/notebooks"]
CMD []
