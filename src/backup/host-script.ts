/**
 * The backup as it runs on a Lago host: one sh script, the same for `lago-provision backup` (sent over
 * SSH) and for the scheduled backup (the lago_backup role writes it to /usr/local/sbin/lago-backup and
 * a systemd timer runs it). It writes `DIR/STAMP/` (0700) holding:
 *
 * - `db.dump`: `pg_dump -Fc` (custom format: one consistent snapshot, restored with pg_restore), taken in
 *   the bundled db container, else with a backend container's DATABASE_URL (external PostgreSQL);
 * - `storage.tar.gz`: ActiveStorage's local disk volume, when neither S3 nor GCS is used;
 * - `manifest.json`: the installation's fingerprint, Lago and schema versions, each file's size and
 *   sha256 (src/backup/manifest.ts reads it).
 *
 * The backup is made in `DIR/.STAMP.part` and renamed when complete, so a failure (a full disk) leaves no
 * partial backup behind and touches nothing else. Then only the `keep` newest backups stay.
 * No secret is read into a command line: SECRET_KEY_BASE reaches sha256sum through a pipe from printf,
 * a shell builtin, and is hashed (the installation's fingerprint, never the value).
 */
import { quote } from "../core/command.ts";

export const BACKUP_ROOT = "/var/backups/lago";
/** Backups are named by their UTC time: they sort by name. */
export const STAMP = /^\d{8}T\d{6}Z$/;

export interface HostBackupSettings {
  /** Where backups are kept on the host. */
  dir: string;
  /** Compose project (lago_project). */
  project: string;
  /** lago_dir: where lago.env is. */
  lagoDir: string;
  /** How many backups stay on the host (the newest). */
  keep: number;
}

/**
 * Shell functions shared by the backup and the facts `status` and `restore` read: the project's
 * containers, values of lago.env, the installation's fingerprint.
 */
export function hostLib(s: Pick<HostBackupSettings, "project" | "lagoDir">): string {
  return `project=${quote(s.project)}; lago_dir=${quote(s.lagoDir)}
# A running container of a compose service of the project (its id), or nothing.
ctr() { docker ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=$1" --filter status=running | head -n 1; }
# A value of lago.env (single-quoted there), or $2 when missing or empty.
envval() { v=$(sed -n "s/^$1=//p" "$lago_dir/lago.env" 2>/dev/null | tail -n 1); v=\${v#\\'}; v=\${v%\\'}; [ -n "$v" ] && printf '%s' "$v" || printf '%s' "\${2:-}"; }
# The installation: a hash of its SECRET_KEY_BASE (what its sessions, signed URLs and encryption rest on).
installation() { k=$(envval SECRET_KEY_BASE); [ -n "$k" ] || return 1; printf 'lago-provision installation %s' "$k" | sha256sum | cut -c1-16; }
# The schema's last migration, through the db container or a backend's DATABASE_URL.
schema_version() {
  q="SELECT max(version) FROM \\"$(envval POSTGRES_SCHEMA public)\\".schema_migrations"
  if [ -n "$(ctr db)" ]; then docker exec "$(ctr db)" sh -c 'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "$1"' sh "$q" 2>/dev/null
  elif [ -n "$1" ]; then docker exec "$1" sh -c 'psql "$(printf %s "$DATABASE_URL" | sed -E "s/([?&])search_path=[^&]*(&|$)/\\1/; s/[?&]$//")" -tAc "$1"' sh "$q" 2>/dev/null
  fi
}
# The first running backend container (has DATABASE_URL and the Lago image).
backend() { for s in api api-worker api-clock; do c=$(ctr "$s"); [ -n "$c" ] && { echo "$c"; return; }; done; }
# The Lago release a container runs: its image's tag.
tag_of() { docker inspect -f '{{.Config.Image}}' "$1" 2>/dev/null | sed -n 's|.*/[^:/]*:\\([^:/@]*\\)$|\\1|p'; }
# The storage service in use: local disk unless S3 or GCS.
storage_kind() { if [ "$(envval LAGO_USE_AWS_S3)" = true ]; then echo s3; elif [ "$(envval LAGO_USE_GCS)" = true ]; then echo gcs; else echo local; fi; }
storage_dir() { docker volume inspect -f '{{.Mountpoint}}' "\${project}_lago_storage_data" 2>/dev/null; }`;
}

export function hostBackupScript(s: HostBackupSettings): string {
  return `#!/bin/sh
# Written by lago-provision (src/backup/host-script.ts): one backup of the Lago installation on this host.
set -u; umask 077
export LC_ALL=C
${hostLib(s)}
dir=${quote(s.dir)}; keep=${Math.max(1, Math.floor(s.keep))}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$dir/$stamp"; tmp="$dir/.$stamp.part"
fail() { echo "error: $*" >&2; rm -rf "$tmp"; exit 1; }
trap 'rm -rf "$tmp"' INT TERM
[ -r "$lago_dir/lago.env" ] || fail "no $lago_dir/lago.env on $(hostname): deploy Lago first (lago-provision apply)"
inst=$(installation) || fail "no SECRET_KEY_BASE in $lago_dir/lago.env"
db=$(ctr db); be=$(backend)
[ -n "$db" ] || [ -n "$be" ] || fail "neither the database nor a Lago backend container runs on $(hostname)"
mkdir -p "$dir" && chmod 0700 "$dir" || fail "cannot create $dir"
[ ! -e "$out" ] || fail "$out exists already"
mkdir "$tmp" || fail "cannot create $tmp"
# Full disk and other write errors: a short message with the disk's free space.
nospace() { echo "$1 failed on $(hostname): $(tail -n 1 "$tmp/err" 2>/dev/null) ($(df -Pk "$dir" | awk 'NR==2 {print $4}') KiB free in $dir)"; }
if [ -n "$db" ]; then
  docker exec "$db" sh -c 'exec pg_dump -Fc --no-owner -U "$POSTGRES_USER" "$POSTGRES_DB"' > "$tmp/db.dump" 2> "$tmp/err" || fail "$(nospace pg_dump)"
else
  docker exec "$be" sh -c 'exec pg_dump -Fc --no-owner "$(printf %s "$DATABASE_URL" | sed -E "s/([?&])search_path=[^&]*(&|$)/\\1/; s/[?&]$//")"' > "$tmp/db.dump" 2> "$tmp/err" || fail "$(nospace pg_dump)"
fi
[ -s "$tmp/db.dump" ] || fail "pg_dump wrote nothing"
files="db.dump"
kind=$(storage_kind)
if [ "$kind" = local ]; then
  sd=$(storage_dir)
  [ -n "$sd" ] && [ -d "$sd" ] || fail "no storage volume \${project}_lago_storage_data on $(hostname)"
  tar -C "$sd" -czf "$tmp/storage.tar.gz" . 2> "$tmp/err" || fail "$(nospace "tar of the storage volume")"
  files="$files storage.tar.gz"
fi
sv=$(schema_version "$be" | tr -cd '0-9')
ver=""; for c in $be $(ctr api) $(ctr api-worker); do ver=$(tag_of "$c"); [ -n "$ver" ] && break; done
rm -f "$tmp/err"
{
  printf '{"format":1,"id":"%s","created":"%s","host":"%s","project":"%s","installation":"%s",' \\
    "$stamp" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" "$project" "$inst"
  printf '"lago_version":"%s","schema_version":"%s","storage":"%s","files":[' "$(printf %s "$ver" | tr -cd 'A-Za-z0-9._-')" "$sv" "$kind"
  sep=""
  for f in $files; do
    printf '%s{"name":"%s","bytes":%s,"sha256":"%s"}' "$sep" "$f" "$(stat -c %s "$tmp/$f")" "$(sha256sum "$tmp/$f" | cut -d' ' -f1)"
    sep=","
  done
  printf ']}\\n'
} > "$tmp/manifest.json" || fail "$(nospace "writing the manifest")"
sync -f "$tmp/manifest.json" 2>/dev/null
mv "$tmp" "$out" || fail "cannot rename $tmp to $out"
# Retention: the newest $keep backups stay (names sort by time).
ls -1 "$dir" | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort -r | tail -n +$((keep + 1)) | while read -r old; do rm -rf "\${dir:?}/$old"; done
echo "backup $out"
cat "$out/manifest.json"
`;
}
