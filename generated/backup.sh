#!/usr/bin/env bash
# Makes a compressed, timestamped backup of a folder and keeps only the newest KEEP archives of it.
set -euo pipefail

readonly NAME="backup.sh"

usage() {
  cat <<USAGE
Usage: $NAME [-k KEEP] [-n] SOURCE_DIR DEST_DIR

Archives SOURCE_DIR into DEST_DIR/<name>-YYYYmmdd-HHMMSS.tar.gz (UTC), then deletes the oldest
archives of the same folder so that at most KEEP remain.
  -k KEEP  archives to keep (a positive integer, default 7)
  -n       dry run: print what would be created and deleted, change nothing
  -h       print this help
USAGE
}

fail() {
  echo "$NAME: $*" >&2
  exit 1
}

usage_error() {
  echo "$NAME: $*" >&2
  usage >&2
  exit 2
}

keep=7
dry_run=0
while getopts ":k:nh" option; do
  case "$option" in
    k) keep="$OPTARG" ;;
    n) dry_run=1 ;;
    h) usage; exit 0 ;;
    :) usage_error "-$OPTARG needs a value" ;;
    *) usage_error "unknown option -$OPTARG" ;;
  esac
done
shift $((OPTIND - 1))

[[ $# -eq 2 ]] || usage_error "expected SOURCE_DIR and DEST_DIR"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || usage_error "-k must be a positive integer, got '$keep'"

source_dir="$1"
dest_dir="$2"
[[ -d "$source_dir" ]] || fail "'$source_dir' is not a folder"

# Resolve the folder so that "." or a trailing slash still gives a meaningful archive name.
source_abs="$(cd -- "$source_dir" && pwd -P)"
base="$(basename -- "$source_abs")"
parent="$(dirname -- "$source_abs")"
[[ "$base" != "/" ]] || fail "refusing to archive the root folder"

archive="$dest_dir/$base-$(date -u +%Y%m%d-%H%M%S).tar.gz"

if [[ $dry_run -eq 0 ]]; then
  mkdir -p -- "$dest_dir"
  # Write under a temporary name and rename only after tar succeeded, so an interrupted run
  # never leaves a truncated archive that looks like a good one.
  temp="$(mktemp "$dest_dir/.$base.tmp.XXXXXX")"
  trap 'rm -f -- "$temp"' EXIT
  tar -czf "$temp" -C "$parent" -- "$base"
  mv -- "$temp" "$archive"
  trap - EXIT
  echo "$archive"
else
  echo "would create $archive"
fi

# Archives of this folder only: the name, a dash, then exactly the timestamp pattern. The names sort
# by time, so everything before the newest KEEP is old.
archives=()
if [[ -d "$dest_dir" ]]; then
  while IFS= read -r -d '' file; do
    archives+=("$file")
  done < <(find "$dest_dir" -maxdepth 1 -type f -name "$base-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9].tar.gz" -print0 | sort -z)
fi
if [[ $dry_run -eq 1 ]]; then
  # The archive a real run would create counts towards KEEP.
  archives+=("$archive")
fi

excess=$((${#archives[@]} - keep))
for ((i = 0; i < excess; i++)); do
  if [[ $dry_run -eq 1 ]]; then
    echo "would delete ${archives[i]}"
  else
    rm -f -- "${archives[i]}"
  fi
done
