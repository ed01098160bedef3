#!/usr/bin/env bash
# `buf breaking` (proto/buf.yaml: FILE rules) of proto/ against its state before this change:
#   - uncommitted changes under proto/: against HEAD;
#   - otherwise, on main (or with no main branch): against HEAD~1, the previous commit on main;
#   - otherwise (a branch): against its merge base with main (origin/main when fetched).
# PROTO_BREAKING_AGAINST=<commit> overrides the choice. Nothing to compare (the very first commit,
# or proto/ did not exist yet) passes. A shallow clone is deepened by one commit when needed.
#
# An intentional break is declared by changing proto/BREAKING_CHANGE_ALLOWED (what breaks and
# why that is safe) in the same change: the check then reports the breaking changes and passes.
# The declaration expires by itself: the next change that does not touch the file is checked
# strictly again. See docs/conventions.md, "Contracts (proto)".
set -euo pipefail
cd "$(dirname "$0")/.."
marker=proto/BREAKING_CHANGE_ALLOWED

has_commit() { git rev-parse -q --verify "$1^{commit}" >/dev/null 2>&1; }

if [ -n "${PROTO_BREAKING_AGAINST:-}" ]; then
  base=$PROTO_BREAKING_AGAINST
elif ! git diff --quiet HEAD -- proto || [ -n "$(git ls-files --others --exclude-standard -- proto)" ]; then
  base=HEAD
else
  main_ref=""
  for ref in origin/main main; do has_commit "$ref" && { main_ref=$ref; break; }; done
  if [ -z "$main_ref" ] || [ "$(git rev-parse "$main_ref")" = "$(git rev-parse HEAD)" ]; then
    base=HEAD~1
    if ! has_commit "$base" && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
      git fetch --quiet --deepen=1 || true
    fi
    if ! has_commit "$base"; then
      if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
        echo "proto breaking: HEAD~1 is not in this shallow clone and could not be fetched" >&2
        exit 1
      fi
      echo "proto breaking: first commit, nothing to compare against"
      exit 0
    fi
  else
    base=$(git merge-base HEAD "$main_ref")
  fi
fi

if ! git cat-file -e "$base:proto/buf.yaml" 2>/dev/null; then
  echo "proto breaking: $base has no proto/ module, nothing to compare against"
  exit 0
fi

against=$(mktemp -d)
trap 'rm -rf "$against"' EXIT
git archive "$base" proto | tar -x -C "$against"

declared=false
if [ -s "$marker" ] && ! cmp -s "$marker" <(git show "$base:$marker" 2>/dev/null || true); then declared=true; fi

echo "proto breaking: proto/ against $(git rev-parse --short "$base")"
if npx --no-install buf breaking proto --against "$against/proto"; then
  echo "proto breaking: no breaking change"
elif [ "$declared" = true ]; then
  echo "proto breaking: the changes above are declared intentional in $marker:"
  sed 's/^/  | /' "$marker"
else
  echo "proto breaking: breaking changes (above) against $base. Keep the contract compatible, or" >&2
  echo "declare the break in $marker (see docs/conventions.md, \"Contracts (proto)\")." >&2
  exit 1
fi
