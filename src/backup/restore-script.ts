/**
 * The host side of `restore`: one read-only script that reads what restore must judge (the backup's
 * manifest and files measured, the host's installation, release, schema and storage), and one script
 * that restores. The database is restored into a new database that replaces the old one only once
 * pg_restore has succeeded, so a failing restore leaves the old database in place.
 */
import { quote } from "../core/command.ts";
import type { RestoreTarget } from "./manifest.ts";
import { hostLib } from "./host-script.ts";
import { measureScript } from "./transfer.ts";

interface Where {
  project: string;
  lagoDir: string;
}

/** Compose services restore stops and starts again: api, every worker, the clock. */
export const BACKEND_SERVICES = /^api(-.+)?$/;

/**
 * What restore judges, read-only: the host's installation, release, schema, storage and database, then the
 * backup `name` under `root` (or `latest`, the newest there) when it is there: its manifest and files measured.
 */
export function restoreFactsScript(w: Where, root: string, name: string, files: string[]): string {
  const pick = name === "latest"
    ? `b=$(ls -1 ${quote(root)} 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort | tail -n 1)`
    : `b=${quote(name)}`;
  return `export LC_ALL=C
${hostLib(w)}
echo "installation $(installation 2>/dev/null)"
be=""; for s in api api-worker api-clock; do be=$(docker ps -aq --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=$s" | head -n 1); [ -n "$be" ] && break; done
echo "version $([ -n "$be" ] && tag_of "$be")"
echo "schema $(schema_version "$(backend)" | tr -cd '0-9')"
echo "storage $(storage_kind)"
echo "db $([ "$(envval POSTGRES_HOST db)" = db ] && echo bundled || echo external)"
${pick}
[ -n "$b" ] && [ -f ${quote(root)}/"$b"/manifest.json ] || exit 0
echo "path ${root}/$b"
echo "manifest $(base64 -w 0 ${quote(root)}/"$b"/manifest.json)"
${measureScript(`${quote(root)}/"$b"`, files)}`;
}

export interface RestoreFacts {
  target: RestoreTarget;
  bundledDb: boolean;
  /** The backup on the host, when it is there. */
  backup?: { path: string; manifestText: string; measuredText: string };
}

/** The facts script's output (pure). */
export function parseRestoreFacts(host: string, stdout: string): RestoreFacts {
  const field = (k: string) => new RegExp(`^${k} ?(.*)$`, "m").exec(stdout)?.[1].trim() ?? "";
  const storage = field("storage");
  const path = field("path");
  return {
    target: {
      host,
      installation: field("installation") || null,
      version: field("version") || null,
      schemaVersion: field("schema") || null,
      storage: storage === "s3" || storage === "gcs" ? storage : "local",
    },
    bundledDb: field("db") === "bundled",
    ...(path
      ? {
        backup: {
          path,
          manifestText: new TextDecoder().decode(
            Uint8Array.from(atob(field("manifest")), (c) => c.charCodeAt(0)),
          ),
          measuredText: stdout,
        },
      }
      : {}),
  };
}

/**
 * Restores the backup at `path` (checked already): stops api, workers and clock; brings the db service
 * up when it is gone (a destroyed volume); pg_restore into a new database, then swaps it in; replaces
 * the storage volume's files; migrates with the release that runs when asked; starts what it stopped.
 * Prints `step ...` lines as it goes.
 */
export function restoreScript(w: Where, path: string, o: { storage: boolean; migrate: boolean }): string {
  return `set -u
export LC_ALL=C
${hostLib(w)}
b=${quote(path)}
fail() { echo "error: $*" >&2; exit 1; }
cd "$lago_dir" || fail "no $lago_dir"
if docker compose version >/dev/null 2>&1; then dc="docker compose"; else dc=docker-compose; fi
compose() { $dc -p "$project" --env-file lago.env -f compose.yml "$@"; }
stopped=$(docker ps -q --filter "label=com.docker.compose.project=$project" --filter label=com.docker.compose.oneoff=False | while read -r c; do
  s=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$c"); case "$s" in api|api-*) echo "$c";; esac; done)
echo "step stop api, workers and clock ($(echo $stopped | wc -w) containers)"
[ -z "$stopped" ] || docker stop -t 30 $stopped >/dev/null || fail "stopping api, workers and clock failed"
db=$(ctr db)
if [ -z "$db" ]; then
  echo "step start the db service"
  compose up -d --no-deps db >/dev/null 2>&1 || fail "starting the db service failed: $(compose up -d --no-deps db 2>&1 | tail -n 1)"
fi
i=0; until db=$(ctr db) && [ -n "$db" ] && docker exec "$db" sh -c 'pg_isready -q -h 127.0.0.1 -p "\${PGPORT:-5432}" -U "$POSTGRES_USER"'; do
  i=$((i + 1)); [ $i -lt 120 ] || fail "the database did not become ready in 120 s"; sleep 1; done
echo "step pg_restore into a new database"
docker exec "$db" sh -c 'psql -q -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS lago_provision_restoring" -c "CREATE DATABASE lago_provision_restoring"' >/dev/null || fail "creating the database to restore into failed"
docker exec -i "$db" sh -c 'pg_restore --no-owner --exit-on-error -U "$POSTGRES_USER" -d lago_provision_restoring' < "$b/db.dump" 2>"$b/.restore.err" || {
  docker exec "$db" sh -c 'psql -q -U "$POSTGRES_USER" -d postgres -c "DROP DATABASE IF EXISTS lago_provision_restoring"' >/dev/null 2>&1
  [ -z "$stopped" ] || docker start $stopped >/dev/null
  fail "pg_restore failed, the database was left as it was: $(tail -n 1 "$b/.restore.err")"; }
rm -f "$b/.restore.err"
echo "step swap the restored database in"
docker exec "$db" sh -c 'psql -q -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \\"$POSTGRES_DB\\" WITH (FORCE)" -c "ALTER DATABASE lago_provision_restoring RENAME TO \\"$POSTGRES_DB\\""' >/dev/null || fail "replacing the database failed"
${
    o.storage
      ? `echo "step replace the file storage"
sd=$(storage_dir); [ -n "$sd" ] || { compose create --no-deps api >/dev/null 2>&1; sd=$(storage_dir); }
[ -n "$sd" ] && [ -d "$sd" ] || fail "no storage volume \${project}_lago_storage_data"
find "$sd" -mindepth 1 -delete && tar -C "$sd" -xzf "$b/storage.tar.gz" || fail "restoring the file storage failed"`
      : ""
  }
${
    o.migrate
      ? `echo "step migrate"
compose run --rm --no-deps migrate >"$b/.migrate.log" 2>&1 || fail "migrate failed: $(tail -n 3 "$b/.migrate.log")"
rm -f "$b/.migrate.log"`
      : ""
  }
echo "step start api, workers and clock"
[ -z "$stopped" ] || docker start $stopped >/dev/null || fail "starting api, workers and clock failed"
echo "restored"`;
}
