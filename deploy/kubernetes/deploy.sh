#!/usr/bin/env bash
# Deploy an overlay with the database migrated before any new pod starts:
#   deploy/kubernetes/deploy.sh deploy/kubernetes/overlays/production
# 1. the namespace, the settings and the migration Job (the finished Job of the previous
#    release is deleted first: a Job's pod template cannot be changed in place);
# 2. wait until the Job has completed (stop here if it failed: nothing else changed);
# 3. everything else, then wait for the rollouts.
# NAMESPACE (default invoice-agent) must be the overlay's namespace; KUBECTL (default
# kubectl) may name another client, with its own context flags.
set -euo pipefail

overlay=${1:?usage: deploy.sh OVERLAY_DIRECTORY}
namespace=${NAMESPACE:-invoice-agent}
read -r -a kubectl <<<"${KUBECTL:-kubectl}"
job=invoice-agent-migrate
deadline=$((SECONDS + ${MIGRATE_TIMEOUT_SECONDS:-960}))  # the Job gives up after 900 s

"${kubectl[@]}" --namespace "$namespace" delete job "$job" --ignore-not-found --wait=true
"${kubectl[@]}" apply --kustomize "$overlay" \
  --selector 'app.kubernetes.io/component in (namespace,config,migrate)'

while :; do
  state=$("${kubectl[@]}" --namespace "$namespace" get job "$job" \
    --output 'jsonpath={.status.conditions[?(@.status=="True")].type}')
  case " $state " in
    *" Complete "*) break ;;
    *" Failed "*)
      "${kubectl[@]}" --namespace "$namespace" logs "job/$job" --tail=50 >&2 || true
      echo "the migration failed: nothing else was changed" >&2
      exit 1 ;;
  esac
  if ((SECONDS > deadline)); then
    echo "the migration did not finish in time: nothing else was changed" >&2
    exit 1
  fi
  sleep 5
done

"${kubectl[@]}" apply --kustomize "$overlay"
for deployment in invoice-agent-api invoice-agent-worker invoice-agent-flower; do
  # a worker may take JOB_TIME_LIMIT to stop, so its rollout may take that long per pod
  "${kubectl[@]}" --namespace "$namespace" rollout status "deployment/$deployment" --timeout=30m
done
