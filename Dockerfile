# One image for every Accord process (migrate now; api, worker and beat later).
FROM python:3.11.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir "uv>=0.5,<1"
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY workflow ./workflow
COPY models ./models
COPY migrations ./migrations
COPY tasks ./tasks
COPY cli ./cli
COPY data ./data
COPY notify ./notify
RUN uv sync --locked --no-dev
ENV PATH="/app/.venv/bin:$PATH"
USER nobody
CMD ["accord", "board"]
