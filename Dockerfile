# One image for every Accord process: the one-shot migrate, the API, the worker and beat.
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
COPY api ./api
RUN uv sync --locked --no-dev --compile-bytecode
# The code and the venv stay root's; the processes run as nobody and write only ACCORD_HOME,
# where beat keeps its schedule file (tests/e2e/test_compose_services.py runs them so).
RUN install -d -o nobody -g nogroup /app/var
ENV PATH="/app/.venv/bin:$PATH" ACCORD_HOME=/app/var
USER nobody
CMD ["accord", "board"]
