# One image for every Lifeline service; the command picks the role.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY lifeline ./lifeline
COPY ingest ./ingest
COPY alerts ./alerts
COPY api ./api
COPY simulators ./simulators
COPY store ./store
RUN pip install . && useradd --system --home /var/lib/lifeline lifeline \
    && mkdir -p /var/lib/lifeline && chown lifeline /var/lib/lifeline
USER lifeline
ENV LIFELINE_DATA_DIR=/var/lib/lifeline
EXPOSE 8080
ENTRYPOINT ["lifeline"]
CMD ["up", "--no-simulate"]
