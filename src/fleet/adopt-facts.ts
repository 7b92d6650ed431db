/**
 * What an upstream-compose install is made of, read in one round trip as root (read-only): its `.env`,
 * the compose project of the containers started from `--from`, the api container's environment and image,
 * the rsa-keys volume's key, the db's image, password and data directory version (read from the volume,
 * so a db that no longer starts is still seen), and the project's volumes. Values travel base64-encoded
 * and are never printed; the parser is pure (tested with captured output).
 */
import { Buffer } from "node:buffer";
import { quote } from "../core/command.ts";
import type { AdoptFacts } from "./adopt-plan.ts";

const LABEL = "com.docker.compose";
/** On the volume where adopt keeps PostgreSQL data it moved: the name of the volume it came from. */
export const KEPT_LABEL = "lago-provision.pg-kept-from";

/** One `key value` line per fact; values that may hold secrets are base64 (`-w0`). */
export function adoptFactsScript(from: string): string {
  return [
    "set -u",
    `from=${quote(from.replace(/\/+$/, ""))}`,
    `if [ -f "$from/.env" ] && [ -r "$from/.env" ]; then echo "dotenv $(base64 -w0 < "$from/.env")"`,
    `elif [ -e "$from/.env" ]; then echo "dotenv-error not a readable file"`,
    `else echo "dotenv-error no such file"; fi`,
    `p=$(docker ps -a --filter ${quote(`label=${LABEL}.project.working_dir=`)}"$from" --format ` +
    `'{{.Label "${LABEL}.project"}}' | sort -u | head -1)`,
    `[ -n "$p" ] || p=$(basename "$from")`,
    `echo "project $p"`,
    `api=$(docker ps -q --filter "label=${LABEL}.project=$p" --filter label=${LABEL}.service=api | head -1)`,
    `if [ -n "$api" ]; then`,
    `  echo "api-image $(docker inspect -f '{{.Config.Image}}' "$api")"`,
    `  echo "api-dir $(docker inspect -f '{{index .Config.Labels "${LABEL}.project.working_dir"}}' "$api")"`,
    `  echo "api-env $(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$api" | base64 -w0)"`,
    `  k=$(docker exec "$api" sh -c 'cat /app/config/keys/private.pem 2>/dev/null' | base64 -w0)`,
    `  [ -z "$k" ] || echo "rsa-key $k"`,
    `fi`,
    `db=$(docker ps -aq --filter "label=${LABEL}.project=$p" --filter label=${LABEL}.service=db | head -1)`,
    `if [ -n "$db" ]; then`,
    `  echo "db-name $(docker inspect -f '{{.Name}}' "$db" | sed 's,^/,,')"`,
    `  echo "db-image $(docker inspect -f '{{.Config.Image}}' "$db")"`,
    `  echo "db-env $(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$db" | base64 -w0)"`,
    `  for m in $(docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Source}} {{end}}{{end}}' "$db"); do`,
    `    for d in "$m" "$m/postgres" "$m/data"; do [ -f "$d/PG_VERSION" ] && echo "pg-version $(cat "$d/PG_VERSION")"; done`,
    `  done`,
    `fi`,
    // The PostgreSQL data volume, read on the host even when no db container is left (a move cut short).
    `pv=""; [ -z "$db" ] || pv=$(docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' "$db" | awk '{print $1}')`,
    `[ -n "$pv" ] || pv=$(docker volume ls -q --filter "label=${LABEL}.project=$p" | grep 'postgres_data$' | head -1)`,
    `if [ -n "$pv" ]; then`,
    `  mp=$(docker volume inspect -f '{{.Mountpoint}}' "$pv"); v=""`,
    `  for d in "$mp" "$mp/postgres" "$mp/data"; do [ -f "$d/PG_VERSION" ] && v=$(cat "$d/PG_VERSION") && break; done`,
    `  echo "pg-volume $pv $v"`,
    `fi`,
    `for k in $(docker volume ls -q --filter label=${KEPT_LABEL}); do`,
    `  echo "kept $k $(docker volume inspect -f '{{index .Labels "${KEPT_LABEL}"}}' "$k")"`,
    `done`,
    `docker volume ls -q --filter "label=${LABEL}.project=$p" | sed 's/^/volume /'`,
    `docker ps -a --filter "label=${LABEL}.project=$p" --filter ${
      quote(`label=${LABEL}.project.working_dir=`)
    }"$from" ` +
    `--format '{{.Names}}' | sed 's/^/upstream /'`,
  ].join("\n");
}

const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

/** `NAME=value` lines (docker's Config.Env, or a `.env` read as compose does for plain lines). */
function envLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.replace(/\r$/, ""));
    if (!m) continue;
    const v = m[2].trim();
    out[m[1]] = /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
  }
  return out;
}

export function parseAdoptFacts(host: string, from: string, stdout: string): AdoptFacts {
  const facts: AdoptFacts = {
    host,
    from: from.replace(/\/+$/, ""),
    project: "",
    dotenv: { error: "not read" },
    apiEnv: null,
    apiVersion: null,
    rsaKeyFile: null,
    db: null,
    volumes: [],
    apiDir: null,
    dbContainer: null,
    upstream: [],
    pgVolume: null,
    kept: [],
  };
  let db = null as { image: string; env: Record<string, string>; version: string } | null;
  for (const line of stdout.split("\n")) {
    const space = line.indexOf(" ");
    const [key, value] = space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)];
    switch (key) {
      case "dotenv":
        facts.dotenv = envLines(decode(value));
        break;
      case "dotenv-error":
        facts.dotenv = { error: value };
        break;
      case "project":
        facts.project = value;
        break;
      case "api-image": {
        const colon = value.lastIndexOf(":");
        facts.apiVersion = colon > value.lastIndexOf("/") ? value.slice(colon + 1) : null;
        break;
      }
      case "api-env":
        facts.apiEnv = envLines(decode(value));
        break;
      case "rsa-key":
        facts.rsaKeyFile = decode(value);
        break;
      case "db-image":
        db = { image: value, env: {}, version: "" };
        break;
      case "db-env":
        if (db) db.env = envLines(decode(value));
        break;
      case "pg-version":
        if (db) db.version = value.trim();
        break;
      case "volume":
        if (value) facts.volumes.push(value);
        break;
      case "api-dir":
        facts.apiDir = value.replace(/\/+$/, "") || null;
        break;
      case "db-name":
        facts.dbContainer = value || null;
        break;
      case "upstream":
        if (value) facts.upstream.push(value);
        break;
      case "pg-volume": {
        const [name, version = ""] = value.split(" ");
        if (name) facts.pgVolume = { name, version: version.trim() };
        break;
      }
      case "kept": {
        const [name, from = ""] = value.split(" ");
        if (name) facts.kept.push({ name, from });
        break;
      }
    }
  }
  if (db) {
    // The image's major when the volume said nothing (a fresh volume): postgres:14-alpine, …:15.0-alpine.
    const major = db.version || (/:(\d+)/.exec(db.image)?.[1] ?? "");
    facts.db = { image: db.image, dataVersion: major, passwordEnv: db.env.POSTGRES_PASSWORD ?? null };
  }
  return facts;
}

/** Stops (30 s grace) and removes the containers upstream's compose started; their volumes stay. */
export const removeContainersScript = (names: string[]): string =>
  names.length === 0
    ? "true"
    : `set -e\ndocker stop -t 30 ${names.map(quote).join(" ")} >/dev/null\ndocker rm ${
      names.map(quote).join(" ")
    } >/dev/null`;
