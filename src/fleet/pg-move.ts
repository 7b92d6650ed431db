/**
 * Moving an install's PostgreSQL data to the role's major version by dump and restore (docs/adopt.md,
 * "PostgreSQL 14 data"): the scripts `adopt` runs on the host, in order. Nothing here decides anything;
 * the plan is `PgMove` (src/fleet/adopt-plan.ts), the comparison `compareCounts`.
 *
 * 1. `dumpScript`: in the old db container, still running (Lago's other containers already stopped, so
 *    nothing writes): the exact row count of every table (`SELECT count(*)`, never pg_class estimates),
 *    then `pg_dump -Fc` to /var/backups/lago/ (0600; written as `.part`, renamed once complete).
 * 2. `moveScript`, once upstream's containers are removed: the old data copied to a new volume
 *    `<volume>-pg<old>` (labelled with where it came from) and compared file by file with the original;
 *    only then the volume is emptied, a one-shot container of the role's image initialises it (its
 *    entrypoint, with the same user, password and database), the dump is restored (`pg_restore
 *    --exit-on-error`), the rows are counted again, and the container is removed. The old data is never
 *    started under the new version.
 */
import { quote } from "../core/command.ts";
import { UserError } from "../core/errors.ts";
import { KEPT_LABEL } from "./adopt-facts.ts";
import type { PgMove } from "./adopt-plan.ts";
import { BACKUP_DIR } from "./ops.ts";

/**
 * psql reading this on stdin prints `schema.table<TAB>count` for every table outside PostgreSQL's own
 * schemas (Lago's schema, whichever it is), by `\gexec`: one exact `count(*)` per table.
 */
export const COUNT_SQL = "SELECT format('SELECT %L, count(*) FROM %I.%I', n.nspname || '.' || c.relname, " +
  "n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
  "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('information_schema', 'pg_catalog', 'pg_toast') " +
  "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1\n\\gexec\n";

/**
 * `counts CONTAINER FILE`: `count NAME<TAB>N` lines for Lago's database in a db container (a shell
 * function of both scripts), as its user over the container's socket.
 */
const countsFn = (m: PgMove) =>
  `counts() {
  printf '%s' ${quote(COUNT_SQL)} |
    docker exec -i "$1" psql -X -q -At -F "$(printf '\t')" -v ON_ERROR_STOP=1 -U ${quote(m.user)} -d ${
    quote(m.database)
  } > "$2" || return 1
  sed 's/^/count /' "$2"
}`;

/** Where the move's dump goes: `/var/backups/lago/<UTC time>-adopt-pg<old>-<version>.dump`. */
export function dumpScript(m: PgMove, version: string): string {
  const name = `adopt-pg${m.from}-${version}`.replace(/[^A-Za-z0-9._-]/g, "_");
  const db = quote(m.container);
  return [
    "set -u; umask 077",
    countsFn(m),
    `dir=${BACKUP_DIR}; mkdir -p "$dir" && chmod 0700 "$dir" || exit 1`,
    `out="$dir/$(date -u +%Y%m%dT%H%M%SZ)-${name}.dump"; tmp="$out.part"`,
    `trap 'rm -f "$tmp" "$tmp.counts"' EXIT`,
    `[ "$(docker inspect -f '{{.State.Running}}' ${db})" = true ] || { echo "${m.container} is not running" >&2; exit 1; }`,
    `counts ${db} "$tmp.counts" || { echo "counting the rows in ${m.container} failed" >&2; exit 1; }`,
    `docker exec ${db} pg_dump -Fc -U ${quote(m.user)} ${
      quote(m.database)
    } > "$tmp" || { echo "pg_dump in ${m.container} failed" >&2; exit 1; }`,
    `[ -s "$tmp" ] || { echo "pg_dump wrote nothing" >&2; exit 1; }`,
    `mv -f "$tmp" "$out" || exit 1`,
    `echo "dump $out $(stat -c %s "$out")"`,
  ].join("\n");
}

/** The one-shot container that initialises the new data and restores the dump. */
export const MOVE_CONTAINER = "lago-provision-pg-move";

/**
 * The move proper (see the file's comment). stdin: the env file of the new server (`POSTGRES_USER=…`,
 * `POSTGRES_PASSWORD=…`, `POSTGRES_DB=…` lines), written 0600 and removed on exit. Prints `kept`, then
 * the counts under the new version. Exits non-zero at the first failure, saying which step.
 */
export function moveScript(m: PgMove, dumpFile: string): string {
  const [v, k, img, c] = [quote(m.volume), quote(m.kept), quote(m.image), quote(MOVE_CONTAINER)];
  const fail = (what: string) => `{ echo ${quote(what)} >&2; exit 1; }`;
  const copy = "cp -a /from/. /to/ && diff -r /from /to >/dev/null";
  const empty = "find /v -mindepth 1 -maxdepth 1 -exec rm -rf {} +";
  return [
    "set -u; umask 077",
    countsFn(m),
    `e=$(mktemp); trap 'rm -f "$e" "$e.counts"; docker rm -f ${c} >/dev/null 2>&1' EXIT`,
    `cat > "$e"`,
    `docker rm -f ${c} >/dev/null 2>&1`,
    `docker image inspect ${img} >/dev/null 2>&1 || docker pull -q ${img} >/dev/null || ${
      fail(`pulling ${m.image} failed`)
    }`,
    `! docker volume inspect ${k} >/dev/null 2>&1 || ${fail(`volume ${m.kept} exists already`)}`,
    `docker volume create --label ${quote(`${KEPT_LABEL}=${m.volume}`)} ${k} >/dev/null || ${
      fail(`creating volume ${m.kept} failed`)
    }`,
    // A copy that is not complete and identical is removed: a kept volume is always the whole old data.
    `if ! docker run --rm -v ${v}:/from:ro -v ${k}:/to --entrypoint sh ${img} -c ${quote(copy)}; then`,
    `  docker volume rm ${k} >/dev/null; ${
      fail(`copying ${m.volume} to ${m.kept} failed; ${m.volume} is untouched`)
    }`,
    `fi`,
    `echo "kept ${m.kept}"`,
    `docker run --rm -v ${v}:/v --entrypoint sh ${img} -c ${quote(empty)} || ${
      fail(`emptying ${m.volume} failed`)
    }`,
    `docker run -d --name ${c} --env-file "$e" -e PGDATA=/data/postgres -v ${v}:/data/postgres ${img} >/dev/null || ${
      fail(`starting ${m.image} on ${m.volume} failed`)
    }`,
    `i=0; until docker exec ${c} pg_isready -q -h 127.0.0.1 -U ${quote(m.user)} -d ${quote(m.database)}; do`,
    `  i=$((i + 1))`,
    `  if [ "$i" -gt 120 ] || [ "$(docker inspect -f '{{.State.Running}}' ${c})" != true ]; then`,
    `    docker logs --tail 20 ${c} >&2; ${fail(`PostgreSQL ${m.to} did not start on ${m.volume}`)}`,
    `  fi; sleep 1`,
    `done`,
    `docker exec -i ${c} pg_restore --no-owner --no-privileges --exit-on-error -U ${quote(m.user)} -d ${
      quote(m.database)
    } < ${quote(dumpFile)} || ${fail(`pg_restore of ${dumpFile} into PostgreSQL ${m.to} failed`)}`,
    `counts ${c} "$e.counts" || ${fail(`counting the rows under PostgreSQL ${m.to} failed`)}`,
    `docker stop -t 30 ${c} >/dev/null || ${fail(`stopping ${MOVE_CONTAINER} failed`)}`,
  ].join("\n");
}

/** The new server's env file: the same user, password and database as the old one. */
export function moveEnv(m: Pick<PgMove, "user" | "database">, password: string): string {
  const [user, db] = [m.user, m.database];
  for (const [name, value] of [["user", user], ["password", password], ["database", db]]) {
    if (/[\n\r]/.test(value)) {
      throw new UserError(`the database ${name} holds a line break: adopt cannot move this database`);
    }
  }
  return `POSTGRES_USER=${user}\nPOSTGRES_PASSWORD=${password}\nPOSTGRES_DB=${db}\n`;
}
