/**
 * How scripts and their data reach a host: on standard input, never in an argument vector. Every local
 * user of a host can read `/proc/PID/cmdline`, and sudo writes its command line to the journal, so a
 * templated password in a script must not be there. The command line is a fixed bootstrap that knows
 * only a byte count; the script and then its data follow on stdin:
 *
 *   sh -c 'export LC_ALL=C; lago_s=$(head -c N; echo .); [ "${#lago_s}" -eq N+1 ] || exit 98; eval "${lago_s%.}"'
 *   stdin: SCRIPT (N bytes) DATA (M bytes)
 *
 * The bootstrap reads exactly the script's bytes (`head -c` never reads past them, whereas a shell
 * reading its script from stdin may read ahead: dash does) and runs none of it unless all of it came.
 * DATA is for the script to read, checked for length and SHA-256 before anything acts on it, so a
 * controller that dies or a connection that drops mid-transfer (stdin then ends early, exactly as when
 * it is complete) never commits part of it.
 *
 * Pure: builds text and bytes; `src/engine/remote.ts` sends them.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { quote } from "../core/command.ts";
import type { Step } from "../modules/types.ts";

/** What to execute on the host (no secret in it) and what to send on its stdin. */
export interface Framed {
  command: string;
  stdin: Uint8Array;
}

/** Exit codes of the host side when input was cut short (nothing was run or changed). */
export const SCRIPT_CUT_SHORT = 98;
export const DATA_CUT_SHORT = 97;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const bytesOf = (data: string | Uint8Array): Uint8Array =>
  typeof data === "string" ? new TextEncoder().encode(data) : data;

/** The command line: reads `scriptBytes` bytes of stdin as the script, runs it only when all came. */
export function bootstrap(scriptBytes: number): string {
  return [
    "export LC_ALL=C",
    `lago_s=$(head -c ${scriptBytes}; echo .)`,
    `[ "\${#lago_s}" -eq ${scriptBytes + 1} ] || ` +
    `{ echo 'lago-provision: the script arrived cut short; nothing was run' >&2; exit ${SCRIPT_CUT_SHORT}; }`,
    `eval "\${lago_s%.}"`,
  ].join("; ");
}

/** The script (and the data it reads) framed for the host, under sudo as `sudoUser` when given. */
export function frame(script: string, opts: { data?: Uint8Array; sudoUser?: string } = {}): Framed {
  const text = new TextEncoder().encode(script);
  const boot = `sh -c ${quote(bootstrap(text.length))}`;
  const command = opts.sudoUser === undefined ? boot : `sudo -n -H -u ${quote(opts.sudoUser)} -- ${boot}`;
  const stdin = opts.data?.length ? Buffer.concat([text, opts.data]) : text;
  return { command, stdin: new Uint8Array(stdin.buffer, stdin.byteOffset, stdin.byteLength) };
}

/**
 * Shell function `lago_receive FILE`: the next `data.length` bytes of stdin into FILE, true only when
 * all of them came and their SHA-256 is the one the controller sent.
 */
function receiver(data: Uint8Array): string {
  const n = data.length;
  return [
    "lago_receive() {",
    `  head -c ${n} >"$1" || return 1`,
    `  lago_n=$(wc -c <"$1")`,
    `  if [ "$lago_n" -eq ${n} ] && [ "$(sha256sum <"$1")" = "${sha256(data)}  -" ]; then return 0; fi`,
    `  echo "lago-provision: received $lago_n of ${n} bytes (input cut short); nothing was changed" >&2`,
    "  return 1",
    "}",
  ].join("\n");
}

/**
 * A signal ends the script through `exit`, so its EXIT trap removes what it made (dash skips EXIT traps
 * on death by signal). SIGPIPE comes when the controller is gone and the script writes to it.
 */
const EXIT_ON_SIGNALS =
  "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM";

/**
 * A step that runs a command: its input (when it has one) received and verified first, then the
 * command run with its output in a private temp directory, printed when it ends. The command thus
 * never reads a cut-short input, and a controller that goes away does not kill it halfway (with its
 * output on the connection, its next write would bring SIGPIPE): it runs to its end on the host.
 */
export function commandScript(script: string, data?: Uint8Array): string {
  const lines = [
    `lago_d=$(mktemp -d) || { echo 'lago-provision: cannot make a temporary directory on the host' >&2; exit 1; }`,
    `trap 'rm -rf "$lago_d"' EXIT; ${EXIT_ON_SIGNALS}`,
  ];
  if (data) lines.push(receiver(data), `lago_receive "$lago_d/in" || exit ${DATA_CUT_SHORT}`);
  lines.push(
    `(\n${script}\n) <${data ? '"$lago_d/in"' : "/dev/null"} >"$lago_d/out" 2>"$lago_d/err"`,
    "lago_rc=$?",
    `cat "$lago_d/out"; cat "$lago_d/err" >&2`,
    "exit $lago_rc",
  );
  return lines.join("\n");
}

type WriteStep = Extract<Step, { kind: "write" }>;

/** Temp files of writes to `path` are named after it, so a later write finds and removes leftovers. */
export const tempPrefix = (path: string) => `.lago-provision.${sha256(bytesOf(path)).slice(0, 12)}.`;

/**
 * Write a file from the data on stdin: into a temp file beside the target, committed (attributes, then
 * rename over the target) only when its length and SHA-256 are what the controller sent. Otherwise the
 * temp file goes and the target stays as it was. Leftovers of an earlier write to the same path that
 * never ended (its connection dropped and the host has not noticed) are removed first.
 */
export function writeScript(step: WriteStep): string {
  const data = bytesOf(step.content);
  const path = quote(step.path);
  const dir = quote(posix.dirname(step.path));
  const prefix = tempPrefix(step.path);
  const lines = [
    "set -e",
    `[ -d ${dir} ] || { echo ${quote(`directory ${posix.dirname(step.path)} does not exist`)} >&2; exit 1; }`,
    `rm -f ${dir}/${quote(prefix)}??????`,
    `lago_tmp=$(mktemp ${dir}/${quote(prefix)}XXXXXX)`,
    `trap 'rm -f "$lago_tmp"' EXIT; ${EXIT_ON_SIGNALS}`,
    receiver(data),
    `lago_receive "$lago_tmp" || exit ${DATA_CUT_SHORT}`,
    `if [ -e ${path} ]; then chmod --reference=${path} "$lago_tmp"; chown --reference=${path} "$lago_tmp"; else chmod 0644 "$lago_tmp"; fi`,
  ];
  if (step.mode) lines.push(`chmod ${quote(step.mode)} "$lago_tmp"`);
  if (step.owner || step.group) {
    lines.push(`chown ${quote(`${step.owner ?? ""}${step.group ? ":" + step.group : ""}`)} "$lago_tmp"`);
  }
  lines.push(`mv -f "$lago_tmp" ${path}`, "trap - EXIT");
  return lines.join("\n");
}

/** The framed write: script and content on stdin. */
export function writeFrame(step: WriteStep, sudoUser?: string): Framed {
  return frame(writeScript(step), { data: bytesOf(step.content), sudoUser });
}

/** A framed command step (see `commandScript`). */
export function commandFrame(script: string, input?: string | Uint8Array, sudoUser?: string): Framed {
  const data = input === undefined ? undefined : bytesOf(input);
  return frame(commandScript(script, data), { data, sudoUser });
}

/**
 * Many probes in one script: each one's frame is piped to its own bootstrap (printf is a shell
 * builtin: the script stays out of every argument vector), with its output and errors in temp files,
 * then one line per probe: `lago:probe:INDEX:EXIT:STDOUT:STDERR`, the outputs in base64 (byte-exact, no
 * colon). A probe sees an empty stdin, as when it runs alone.
 */
export function batchScript(probes: Framed[]): string {
  return [
    `lago_d=$(mktemp -d) || exit 1`,
    `trap 'rm -rf "$lago_d"' EXIT`,
    ...probes.map((p, i) =>
      `printf %s ${quote(new TextDecoder().decode(p.stdin))} | ${p.command} >"$lago_d/o" 2>"$lago_d/e"; ` +
      `printf 'lago:probe:${i}:%s:' $?; base64 -w0 "$lago_d/o"; printf ':'; base64 -w0 "$lago_d/e"; echo`
    ),
  ].join("\n");
}
