# Do not do this: a build argument stays in the image's history.
ARG CI_JOB_TOKEN
RUN UV_INDEX_GITLAB_USERNAME=gitlab-ci-token \
    UV_INDEX_GITLAB_PASSWORD="$CI_JOB_TOKEN" \
    uv sync --locked --no-install-project --no-dev --no-editable
