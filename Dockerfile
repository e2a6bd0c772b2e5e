# syntax=docker/dockerfile:1
# One image for api, worker and flower; a second, tiny one serves the UI (target "frontend").

# --- the web UI ------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS ui
WORKDIR /ui
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- Python dependencies, built once --------------------------------------------------------
FROM python:3.11-slim-bookworm AS wheels
WORKDIR /src
COPY pyproject.toml ./
COPY core ./core
COPY api ./api
COPY worker ./worker
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- the service: api, worker and flower share it -------------------------------------------
FROM python:3.11-slim-bookworm AS app
# the fonts invoice PDFs are typeset with (see scripts/ensure-system-packages.sh)
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-noto-core fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 invoice
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=invoice:invoice api/gunicorn.conf.py ./api/gunicorn.conf.py
COPY --from=ui --chown=invoice:invoice /ui/dist ./frontend/dist
ENV FRONTEND_DIST=/app/frontend/dist \
    HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
USER invoice
EXPOSE 8000
CMD ["gunicorn", "-c", "api/gunicorn.conf.py", "api:create_app()"]

# --- the UI alone, behind nginx, proxying /api to the api service ---------------------------
FROM nginx:1.27-alpine AS frontend
COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=ui /ui/dist /usr/share/nginx/html
EXPOSE 3000
