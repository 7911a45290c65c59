#!/usr/bin/env bash
# Rolls a warden image out to one server over SSH (used by .github/workflows/deploy.yml).
# The server holds docker-compose.yml, docker-compose.prod.yml and its .env (SECRET_KEY,
# database password, SMTP_URL, MAIL_FROM, PUBLIC_URL, ...) in $DEPLOY_PATH; this script pulls the image, restarts the `web`
# service on it with `up -d --wait`, and fails if the service does not become healthy.
#
# Environment:
#   WARDEN_IMAGE        image to run, e.g. ghcr.io/owner/warden@sha256:…   (required)
#   DEPLOY_HOST         server name or address                              (required)
#   DEPLOY_USER         SSH user                                            (default: deploy)
#   DEPLOY_PATH         compose directory on the server                     (default: /opt/warden)
#   DEPLOY_SSH_KEY      private key (the key itself, not a path)            (required)
#   DEPLOY_KNOWN_HOSTS  the server's known_hosts line(s); the host key is always verified
#   DRY_RUN=1           print the remote commands instead of running them
set -euo pipefail

: "${WARDEN_IMAGE:?set WARDEN_IMAGE}" "${DEPLOY_HOST:?set DEPLOY_HOST}"
user=${DEPLOY_USER:-deploy}
path=${DEPLOY_PATH:-/opt/warden}

# The remote side: the compose files read WARDEN_IMAGE for the web service's image.
remote=$(cat <<REMOTE
set -eu
cd '$path'
export WARDEN_IMAGE='$WARDEN_IMAGE'
docker pull "\$WARDEN_IMAGE"
docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d --wait --no-build web
docker compose -f docker-compose.yml -f docker-compose.prod.yml ps web
REMOTE
)

if [[ ${DRY_RUN:-0} == 1 ]]; then
  echo "ssh $user@$DEPLOY_HOST <<'REMOTE'"
  echo "$remote"
  echo "REMOTE"
  exit 0
fi

: "${DEPLOY_SSH_KEY:?set DEPLOY_SSH_KEY}" "${DEPLOY_KNOWN_HOSTS:?set DEPLOY_KNOWN_HOSTS}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%s\n' "$DEPLOY_SSH_KEY" >"$dir/key"
printf '%s\n' "$DEPLOY_KNOWN_HOSTS" >"$dir/known_hosts"
chmod 600 "$dir/key" "$dir/known_hosts"

echo "deploy: $WARDEN_IMAGE -> $user@$DEPLOY_HOST:$path"
ssh -i "$dir/key" -o IdentitiesOnly=yes -o UserKnownHostsFile="$dir/known_hosts" \
  -o StrictHostKeyChecking=yes -o BatchMode=yes "$user@$DEPLOY_HOST" bash -s <<<"$remote"
