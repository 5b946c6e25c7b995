# Promoter explorer dashboard: `docker build -t promoter-explorer .`
#   docker run --rm -p 8501:8501 -v "$PWD/runs:/data/runs:ro" promoter-explorer
# Runs as a non-root user, serves only Streamlit's port, and needs no network at run time
# (the demo model, the DREAM test data and the JASPAR motifs are all inside the image).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/promoter-explorer

# dependencies first (cached layer): only what `pip install .[app]` needs
COPY pyproject.toml README.md ./
COPY promoter_model/ promoter_model/
RUN pip install ".[app]" \
    && useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin explorer \
    && mkdir -p /data/runs \
    && chown explorer:explorer /data/runs

# the dashboard, its server config and the bundled assets (demo model at assets/demo_model);
# owned by root, so the server cannot modify its own code
COPY app/ app/
COPY .streamlit/ .streamlit/
COPY assets/ assets/

ENV HOME=/home/explorer \
    MPLCONFIGDIR=/tmp/matplotlib \
    TF_CPP_MIN_LOG_LEVEL=2 \
    KERAS_BACKEND=tensorflow \
    PROMOTER_RUNS_DIR=/data/runs \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=true \
    STREAMLIT_GLOBAL_DEVELOPMENT_MODE=false

USER explorer

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"]

CMD ["streamlit", "run", "app/main.py", "--server.address=0.0.0.0", "--server.port=8501"]
