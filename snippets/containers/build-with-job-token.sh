# In the Docker-in-Docker job:
docker build --secret id=ci_job_token,env=CI_JOB_TOKEN --tag "$IMAGE" .
# In the Buildah job:
buildah build --secret id=ci_job_token,env=CI_JOB_TOKEN --tag "$IMAGE" .
