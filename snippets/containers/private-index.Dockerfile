# syntax=docker/dockerfile:1

# Build stage: install the locked environment into /app/.venv.
FROM python:3.12-slim-trixie AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/

# Compile bytecode now for a faster start, copy files out of the cache mount
# (a hard link cannot leave it), and use the image's Python, never a download.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never

WORKDIR /app

# Dependencies first, with the job token for the index named "gitlab" in
# pyproject.toml. The secret is a file for this RUN only: it is in no layer.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=secret,id=ci_job_token \
    UV_INDEX_GITLAB_USERNAME=gitlab-ci-token \
    UV_INDEX_GITLAB_PASSWORD="$(cat /run/secrets/ci_job_token)" \
    uv sync --locked --no-install-project --no-dev --no-editable

# Then the project itself, as a package rather than a link to the sources.
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

# Runtime stage: the same base image (the environment points at its Python),
# the environment alone, without uv or the sources, run by a plain user.
FROM python:3.12-slim-trixie
RUN groupadd --system --gid 999 app \
 && useradd --system --gid 999 --uid 999 --no-create-home app
COPY --from=build /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH"
# By number: Kubernetes can then verify that the user is not root.
USER 999:999
# The command your project installs ([project.scripts]): change it.
CMD ["my-app"]
