# One image for every role of the pipeline (the `hybridflow` CLI is the entry point):
#   producer      hybridflow produce --rate 20
#   stream job    hybridflow stream            (driver; SPARK_MASTER=spark://spark-master:7077)
#   Spark master  hybridflow cluster master    (pyspark's own org.apache.spark.deploy.master.Master)
#   Spark worker  hybridflow cluster worker
#   bucket init   hybridflow objectstore init
# and, with `--target jupyter`, JupyterLab on the same environment plus what `make report` needs
# except LaTeX (the slim variant: `hybridflow report --no-pdf` runs in it; HTML and figures only).
#
# Base images are pinned build arguments: `make compose-test` builds this same file on local
# stand-ins (a debootstrap'ed Debian 12) because it cannot pull. The connector jars are resolved at
# build time by Maven from the committed jvm/pom.xml (every profile, as `hybridflow setup` does), so
# their versions are the pom's; Python packages are requirements.txt's pins.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG MAVEN_IMAGE=maven:3.9.9-eclipse-temurin-17
ARG VERSITYGW_IMAGE=versity/versitygw:v1.8.0

# --- 1. the JVM jars of every jvm/pom.xml profile (Spark connectors, Kafka broker …) -------------------
FROM ${MAVEN_IMAGE} AS jars
WORKDIR /build
COPY jvm/pom.xml jvm/pom.xml
# One folder per profile (its first <id>), as .state/jars/<profile> on a developer's machine.
RUN profiles=$(awk '/^[ \t]*<profile>[ \t]*$/{p=1} p && /<id>/{gsub(/.*<id>|<\/id>.*/,""); print; p=0}' jvm/pom.xml) \
    && test -n "$profiles" \
    && for profile in $profiles; do \
         mvn -q -B -f jvm/pom.xml -P "$profile" dependency:copy-dependencies \
             -DincludeScope=runtime -DoutputDirectory="/jars/$profile" || exit 1; \
         ls "/jars/$profile"/*.jar > /dev/null || exit 1; \
       done

# --- 2. the runtime: slim Python + Java 17 + pinned Python packages + jars (no project code yet) ---------
FROM ${PYTHON_IMAGE} AS runtime
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
# Layers from the least to the most often changed: pinned packages, jars, then (next stages) the code.
# JupyterLab is pinned in requirements.txt too, but only the jupyter stage installs it.
COPY requirements.txt ./
RUN grep -v -e '^-e ' -e '^jupyterlab==' requirements.txt > /tmp/requirements-deps.txt \
    && pip install -r /tmp/requirements-deps.txt \
    && rm /tmp/requirements-deps.txt
# Where `make setup` puts them (settings.jars_dir), read-only; the stamps mark them as resolved from this pom.
COPY --from=jars /jars /app/.state/jars
COPY jvm/pom.xml jvm/pom.xml
RUN for stamp in /app/.state/jars/*/; do touch "$stamp/.resolved"; done
# Everything the app user writes: data, logs, pids, Spark scratch, figures and the report.
RUN mkdir -p /app/data /app/notebooks /app/report /app/diagrams /app/.state/logs /app/.state/run /app/.state/spark \
    && chown hybridflow:hybridflow /app/.state \
    && chown -R hybridflow:hybridflow /app/data /app/notebooks /app/report /app/diagrams \
       /app/.state/logs /app/.state/run /app/.state/spark

# --- 3. the application: the runtime + the project, run as `hybridflow` ---------------------------------
FROM runtime AS app
COPY pyproject.toml README.md ./
COPY lib/ lib/
RUN pip install --no-deps -e .
USER hybridflow
ENTRYPOINT ["hybridflow"]
CMD ["--help"]

# --- 4. JupyterLab for the notebooks: the runtime, what they and `make report` need, then the project ---
# (built from `runtime`, not `app`: a code change rebuilds the last layers only, not Chromium and Node)
FROM ${VERSITYGW_IMAGE} AS versitygw

FROM runtime AS jupyter
# Graphviz (schematics), Chromium + Node for the pinned mermaid-cli (diagrams), fonts for both.
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz chromium nodejs npm fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY tools/mermaid/package.json tools/mermaid/package-lock.json tools/mermaid/puppeteer-config.json tools/mermaid/
RUN cd tools/mermaid \
    && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
    && touch node_modules/.install.stamp \
    && rm -rf /root/.npm
RUN grep '^jupyterlab==' requirements.txt > /tmp/requirements-jupyter.txt \
    && pip install -r /tmp/requirements-jupyter.txt \
    && rm /tmp/requirements-jupyter.txt
# Notebook 9 runs its own object store (the versitygw of the Compose file) and reads the two files below.
COPY --from=versitygw /app/versitygw /usr/local/bin/versitygw
COPY docker/jupyter-entrypoint.sh /usr/local/bin/jupyter-entrypoint.sh
COPY pyproject.toml README.md ./
COPY lib/ lib/
RUN pip install --no-deps -e .
COPY docker-compose.yml Dockerfile ./
EXPOSE 8888
# Starts as root only to take the uid of a bind-mounted notebooks/ folder, then runs as `hybridflow`.
# The token comes from JUPYTER_TOKEN (read by Jupyter itself), never from the image.
ENTRYPOINT ["/usr/local/bin/jupyter-entrypoint.sh"]
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--ServerApp.root_dir=/app/notebooks"]
