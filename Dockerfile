# One image for every Lifeline service; the command picks the role:
#   ingest | rules --partitions 0-7 | api | simulate --mqtt-url URL | up (all-in-one)
# Settings come from LIFELINE_* environment variables (lifeline/settings.py).

# --- build: a wheel of the project, so no source tree or build tool ends up in the image
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lifeline ./lifeline
COPY ingest ./ingest
COPY alerts ./alerts
COPY api ./api
COPY simulators ./simulators
COPY store ./store
RUN pip wheel --wheel-dir /wheels .

# --- runtime -----------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
# A fixed uid/gid so files on volumes keep their owner across image rebuilds.
RUN groupadd --system --gid 10001 lifeline \
    && useradd --system --uid 10001 --gid lifeline --home-dir /var/lib/lifeline \
       --shell /usr/sbin/nologin lifeline \
    && install -d -o lifeline -g lifeline -m 0750 /var/lib/lifeline
USER lifeline:lifeline
WORKDIR /var/lib/lifeline
ENV LIFELINE_DATA_DIR=/var/lib/lifeline \
    LIFELINE_API_HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["lifeline"]
# `docker run lifeline` alone: the embedded all-in-one (no simulators).
CMD ["up", "--no-simulate"]
