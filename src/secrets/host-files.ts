/**
 * Reading secrets from env files on a host, in one round trip: `NAME=value` lines as docker compose
 * reads them (`export`, single or double quotes, a double-quoted value over several lines, ` #`
 * comments after unquoted values, CRLF; the last assignment wins). In "hash" mode only the sha256 of
 * each value leaves the host (the lago_secrets module, `secrets status`); "value" mode sends values,
 * base64-encoded, for `secrets import` alone.
 *
 * Output, one record a line (tab-separated): `D <1|0>` (does the first file's folder exist), then per
 * file `F <path> missing|other|file [<sha256> <mode> <owner> <group>]` followed by `V <name> <hash|base64>`.
 */
import { Buffer } from "node:buffer";
import { type Command, quote, raw } from "../core/command.ts";
import type { ExecResult } from "../core/types.ts";
import { WHITESPACE_FREE } from "./formats.ts";

/** Where lago_secrets writes by default, and where upstream Lago keeps its secrets. */
export const DEFAULT_DEST = "/opt/lago/secrets.env";
export const UPSTREAM_ENV = "/opt/lago/.env";

export type ReadMode = "hash" | "value";

export interface HostFile {
  path: string;
  state: "missing" | "other" | "file";
  /** sha256 of the whole file (state "file"). */
  sha256?: string;
  /** "0600" */
  mode?: string;
  owner?: string;
  group?: string;
  /** name -> sha256 of the normalized value ("hash" mode) or the value itself ("value" mode). */
  values: Record<string, string>;
}

export interface HostSecretFiles {
  /** Whether the folder of the first file exists (where lago_secrets writes). */
  dirExists: boolean;
  files: HostFile[];
}

/** POSIX sh (dash), coreutils only. Names are [A-Z0-9_] (checked by callers), paths are quoted. */
const READER = String.raw`
emit() {
  case " $trim " in *" $1 "*) v=$(printf '%s' "$2" | tr -d ' \t\r\n') ;; *) v=$2 ;; esac
  [ -n "$v" ] || return 0
  if [ "$mode" = hash ]; then h=$(printf '%s' "$v" | sha256sum); else h=$(printf '%s' "$v" | base64 -w0); fi
  printf 'V\t%s\t%s\n' "$1" "\${h%% *}"
}
read_env() {
  f=$1
  if [ ! -e "$f" ]; then printf 'F\t%s\tmissing\n' "$f"; return 0; fi
  if [ ! -f "$f" ]; then printf 'F\t%s\tother\n' "$f"; return 0; fi
  sum=$(sha256sum < "$f") || return 1
  printf 'F\t%s\tfile\t%s\t%s\n' "$f" "\${sum%% *}" "$(stat -c '%a %U %G' "$f" | tr ' ' '\t')"
  cr=$(printf '\r'); pending=; pv=
  while IFS= read -r line || [ -n "$line" ]; do
    line=\${line%"$cr"}
    if [ -n "$pending" ]; then
      case $line in
        *\"*) pv="$pv
\${line%%\"*}"; emit "$pending" "$pv"; pending= ;;
        *) pv="$pv
$line" ;;
      esac
      continue
    fi
    line=\${line#"\${line%%[![:space:]]*}"}
    case $line in export[[:space:]]*) line=\${line#export}; line=\${line#"\${line%%[![:space:]]*}"} ;; esac
    case $line in *=*) ;; *) continue ;; esac
    k=\${line%%=*}; k=\${k%"\${k##*[![:space:]]}"}
    case " $names " in *" $k "*) ;; *) continue ;; esac
    v=\${line#*=}; v=\${v#"\${v%%[![:space:]]*}"}; v=\${v%"\${v##*[![:space:]]}"}
    case $v in
      \'*) v=\${v#\'}; v=\${v%%\'*} ;;
      \"*) v=\${v#\"}
        case $v in *\"*) v=\${v%%\"*} ;; *) pending=$k; pv=$v; continue ;; esac ;;
      *) v=\${v%%[[:space:]]#*} ;;
    esac
    emit "$k" "$v"
  done < "$f"
}
`.replaceAll("\\$", "$");

/** The one-round-trip command that reads `names` from `files` (the first file's folder is checked). */
export function readSecretsCommand(files: string[], names: string[], mode: ReadMode): Command {
  const bad = names.find((n) => !/^[A-Z][A-Z0-9_]*$/.test(n));
  if (bad) throw new Error(`not an environment variable name: ${bad}`);
  const dir = files[0].replace(/\/[^/]*$/, "") || "/";
  const script = [
    `mode=${mode}`,
    `names=${quote(names.join(" "))}`,
    `trim=${quote(WHITESPACE_FREE.join(" "))}`,
    READER,
    `if [ -d ${quote(dir)} ]; then printf 'D\\t1\\n'; else printf 'D\\t0\\n'; fi`,
    ...files.map((f) => `read_env ${quote(f)} || exit 1`),
  ].join("\n");
  return [raw(script)];
}

/** Parse the output of readSecretsCommand (which succeeded); values are decoded in "value" mode. */
export function parseSecretFiles(r: ExecResult, mode: ReadMode): HostSecretFiles {
  const out: HostSecretFiles = { dirExists: false, files: [] };
  for (const line of r.stdout.split("\n")) {
    const [kind, ...f] = line.split("\t");
    if (kind === "D") out.dirExists = f[0] === "1";
    else if (kind === "F") {
      const file: HostFile = { path: f[0], state: f[1] as HostFile["state"], values: {} };
      if (file.state === "file") {
        file.sha256 = f[2];
        file.mode = f[3].padStart(4, "0");
        file.owner = f[4];
        file.group = f[5];
      }
      out.files.push(file);
    } else if (kind === "V" && out.files.length > 0) {
      const value = mode === "value" ? Buffer.from(f[1], "base64").toString("utf8") : f[1];
      out.files[out.files.length - 1].values[f[0]] = value;
    }
  }
  return out;
}
