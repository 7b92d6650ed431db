/**
 * The shell and awk the docker_compose probe and wait step send to hosts, kept as files beside this
 * one (readable, checkable by shellcheck) and read once when the module loads. `npm run build` copies
 * them next to the compiled code (scripts/copy-assets.ts).
 */
import { readFileSync } from "node:fs";

const read = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), "utf8").trimEnd();

/** Sets `$dc` to the compose CLI when it is empty; prints `lago:cli CLI` or `lago:nocompose`. */
export const DETECT = read("detect.sh");
/** `awk` program over `config` output: `lago:svc|image|restart|dep` lines, or with `-v refs=1` `lago:ref`. */
export const CONFIG_AWK = read("config.awk");
/** Ends with `<`: the env file's path follows. `lago:envhash NAME SHA256` per `NAME=...` line. */
export const ENV_HASHES = read("env-hashes.sh");
/** `awk -v run=... -v once=...` over `docker ps` lines: 1 when ready, 0 when not yet, `failed S STATUS`. */
export const READY_AWK = read("ready.awk");
