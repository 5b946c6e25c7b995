# Promoter explorer dashboard: `docker build -t promoter-explorer .`
#   docker run --rm -p 8501:8501 -v "$PWD/runs:/data/runs:ro" promoter-explorer
# Runs as a non-root user, serves only Streamlit's port, and needs no network at run time
# (the demo model, the DREAM test data and the JASPAR motifs are all inside the image).
# BASE: any Debian-like image with python3 (3.11+) and its venv module; scripts/docker_check.py
# passes a locally built one where python:3.11-slim cannot be pulled.
ARG BASE=python:3.11-slim

# ---- build stage: a venv with `.[app]` only (no test or dev extras), trimmed -------------
FROM ${BASE} AS build
LABEL org.opencontainers.image.title="promoter-explorer"

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# binutils for `strip` (build stage only); the user is created here and its entries copied,
# so the run stage has no RUN step at all
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends binutils >/dev/null \
    && useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin explorer \
    && mkdir -p /data/runs

WORKDIR /src
COPY pyproject.toml README.md ./
COPY promoter_model/ promoter_model/
# Left out of the venv, as the dashboard never uses them: TensorFlow's C++ headers, the test
# suites of the big scientific packages (not logomaker's: it imports them), libclang (a
# TensorFlow build-time dependency), pip, the symbol tables of TensorFlow's and llvmlite's
# libraries (strip keeps what the dynamic linker needs; not the auditwheel-patched ones,
# which strip breaks), JASPAR databases other than the app's release and pyjaspar's latest,
# and byte code for modules the dashboard never imports (pip --no-compile; the next RUN
# compiles what it does import).
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-compile ".[app]" \
    && /opt/venv/bin/python -m pip uninstall -y -q libclang pip \
    && SITE="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
    && rm -rf "$SITE/tensorflow/include" \
    && for pkg in pandas numpy scipy numba pyarrow matplotlib sklearn; do \
         find "$SITE/$pkg" -depth -type d -name tests -exec rm -rf {} +; done \
    && strip --strip-unneeded "$SITE"/tensorflow/lib*.so.2 "$SITE"/llvmlite/binding/libllvmlite.so \
    && keep="$(/opt/venv/bin/python -c 'from promoter_model.motifs.jaspar import DEFAULT_RELEASE as r; \
from pyjaspar import jaspar_releases as j, JASPAR_LATEST_RELEASE as l; print(j[r], j[l])')" \
    && for db in "$SITE"/pyjaspar/data/*.sqlite; do \
         case " $keep " in *" ${db##*/} "*) ;; *) rm "$db" ;; esac; done

# byte code for everything the dashboard imports (faster start; the image is read-only to
# its user, so it could never write these itself)
COPY app/ app/
RUN /opt/venv/bin/python -c "import pkgutil, promoter_model, streamlit.web.bootstrap, \
streamlit.web.server.server, shap, logomaker, pyjaspar, matplotlib.pyplot, plotly.express; \
import app.cache.runs, app.cache.ism, app.figures, app.ui, app.export, app.trajectory; \
[__import__(m.name) for m in pkgutil.walk_packages(promoter_model.__path__, 'promoter_model.')]"

# ---- run stage: the base, the venv, the app and its user; no RUN, no compiler -------------
FROM ${BASE}
LABEL org.opencontainers.image.title="promoter-explorer"

COPY --from=build /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/
COPY --from=build --chown=10001:10001 /home/explorer /home/explorer
COPY --from=build /data/runs /data/runs
COPY --from=build /opt/venv /opt/venv

# the dashboard, its server config and the bundled assets (the family-split ensemble it
# opens on, the earlier hash-split ensemble and the single demo run);
# owned by root, so the server cannot modify its own code
WORKDIR /opt/promoter-explorer
COPY app/ app/
COPY .streamlit/ .streamlit/
COPY assets/demo_model/ assets/demo_model/
COPY assets/demo_ensemble/ assets/demo_ensemble/
COPY assets/family_ensemble/ assets/family_ensemble/
COPY promoter_model/data/ assets/data/

# Locked by default: the run picker offers only the bundled demo and runs under
# PROMOTER_RUNS_DIR (mount yours there, read-only), and the app writes into no run folder.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/explorer \
    MPLCONFIGDIR=/tmp/matplotlib \
    KERAS_HOME=/tmp/keras \
    TF_CPP_MIN_LOG_LEVEL=2 \
    KERAS_BACKEND=tensorflow \
    PROMOTER_RUNS_DIR=/data/runs \
    PROMOTER_LOCKED=1 \
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
