# Sourced by the Docker end-to-end scripts: `need_docker NAME` returns when a Docker engine
# answers; otherwise it ends the script: a failure under CI=true (CI must run every step),
# a one-line skip elsewhere.
need_docker() {
  docker info >/dev/null 2>&1 && return 0
  if [ "${CI:-}" = true ]; then
    echo "$1: FAILED: no Docker engine answers (docker info failed), and CI=true"
    exit 1
  fi
  echo "$1: SKIPPED: no Docker engine answers (docker info failed)"
  exit 0
}
