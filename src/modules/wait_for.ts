/**
 * wait_for: poll until a TCP port opens (or closes), a URL answers with a status, or a read-only
 * command succeeds. It changes nothing. Its probe is the readiness check itself: already ready, the
 * plan has nothing to do (and a re-run costs no round trip of its own: the check is read ahead with
 * the play's other probes); not yet, the plan is one `wait` step that polls the same check.
 */
import { z } from "zod";
import { type Command, quote, raw } from "../core/command.ts";
import { bashLine } from "./command.ts";
import type { ExecResult } from "../core/types.ts";
import { defineModule, type ModuleDefinition, type Plan, type Probe, type Step } from "./types.ts";

const waitArgs = z.object({
  port: z.number().int().min(1).max(65535).optional().describe("TCP port to wait for (give port or url)."),
  host: z.string().regex(/^[A-Za-z0-9.:_-]+$/, { error: "should be a host name or IP address" })
    .default("127.0.0.1").describe("Host of port, as seen from the managed host."),
  url: z.string().regex(/^https?:\/\/[^\s]+$/, { error: "should be an http:// or https:// URL" }).optional()
    .describe("URL to wait for, fetched from the managed host (give port or url)."),
  status: z.number().int().min(100).max(599).default(200).describe("url: the HTTP status that means ready."),
  state: z.enum(["started", "stopped"]).default("started").describe(
    "port: started waits until it accepts connections, stopped until it refuses them.",
  ),
  timeout: z.number().int().positive().default(300).describe("Give up (fail) after this many seconds."),
  delay: z.number().int().nonnegative().default(0).describe("Seconds to wait before the first check."),
  sleep: z.number().int().positive().default(1).describe("Seconds between checks."),
  validate_certs: z.boolean().default(true).describe("url: check the server's TLS certificate."),
  command: z.string().min(1).optional().describe(
    "A read-only command that exits 0 once ready (e.g. `docker version`); run by sh on the host, also as " +
      "a probe, so it must change nothing (give port, url or command).",
  ),
}).strict().superRefine((a, ctx) => {
  if ([a.port, a.url, a.command].filter((x) => x !== undefined).length !== 1) {
    ctx.addIssue({ code: "custom", path: [], message: "give port, url or command (one of them)" });
  }
  if (a.url !== undefined && a.state !== "started") {
    ctx.addIssue({ code: "custom", path: ["state"], message: "state: stopped is only for port" });
  }
});
type WaitArgs = z.infer<typeof waitArgs>;

const ready = (r: ExecResult) => r.stdout.trim() === "1";

// bash's /dev/tcp needs no nc; `timeout` bounds a connect to a filtered port.
const TCP = 'exec 3<>"/dev/tcp/$1/$2"';

function portProbe(host: string, port: number, open: boolean): Probe<boolean> {
  return {
    command: [
      raw("if"),
      ...["timeout", "5", "bash", "-c", TCP, "bash", host, String(port)],
      raw(`2>/dev/null; then echo ${open ? 1 : 0}; else echo ${open ? 0 : 1}; fi`),
    ],
    parse: ready,
  };
}

/** Plain-http fallback through bash when neither curl nor wget is installed: prints the status code. */
const BASH_HTTP =
  'exec 3<>"/dev/tcp/$1/$2" && printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" "$3" "$1" >&3 && ' +
  "head -n1 <&3";

/**
 * The URL reaches curl, wget or bash in a here-document of the probe's script, never as an argument:
 * it may carry credentials or a token, and arguments are in /proc/PID/cmdline for every user.
 */
function urlProbe(a: WaitArgs & { url: string }): Probe<boolean> {
  const insecure = !a.validate_certs;
  const u = new URL(a.url);
  const doc = (line: string) => raw(`\n${line}\nLAGO_URL\n`);
  const curl: Command = [
    ...["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"],
    ...(insecure ? ["-k"] : []),
    ...["-K", "-", raw("<<'LAGO_URL'")],
    doc(`url = "${a.url.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`),
  ];
  const wget: Command = [
    ...["wget", "-q", "-S", "-O", "/dev/null", "-T", "5", "--tries=1", "--max-redirect=0"],
    ...(insecure ? ["--no-check-certificate"] : []),
    ...["-i", "-", raw("2>&1 <<'LAGO_URL' |")],
    ...["awk", "/^  HTTP/{c=$2} END{print c}"],
    doc(a.url),
  ];
  const target = [u.hostname, u.port || "80", u.pathname + u.search].map(quote).join(" ");
  const bash: Command = u.protocol === "http:"
    ? [
      "timeout",
      "5",
      ...bashLine(`set -- ${target}\n${BASH_HTTP}`, [raw("2>/dev/null |"), "awk", "{print $2}"]),
    ]
    : ["true"];
  return {
    command: [
      raw("if command -v curl >/dev/null 2>&1; then code=$("),
      ...curl,
      raw("); elif command -v wget >/dev/null 2>&1; then code=$("),
      ...wget,
      raw("); else code=$("),
      ...bash,
      raw('); fi; if [ "$code" ='),
      String(a.status),
      raw("]; then echo 1; else echo 0; fi"),
    ],
    parse: ready,
  };
}

/** `command` exits 0. */
function commandProbe(command: string): Probe<boolean> {
  return {
    command: [raw("if"), "sh", "-c", command, raw(">/dev/null 2>&1; then echo 1; else echo 0; fi")],
    parse: ready,
  };
}

/** What is waited for, how it reads once ready, and the check. */
function readiness(a: WaitArgs): { what: string; ready: string; probe: Probe<boolean> } {
  if (a.url !== undefined) {
    return {
      what: `${a.url} to answer ${a.status}`,
      ready: `${a.url} answers ${a.status}`,
      probe: urlProbe({ ...a, url: a.url }),
    };
  }
  if (a.command !== undefined) {
    return {
      what: `\`${a.command}\` to succeed`,
      ready: `\`${a.command}\` succeeds`,
      probe: commandProbe(a.command),
    };
  }
  const port = `port ${a.port} on ${a.host}`;
  const open = a.state === "started";
  return {
    what: `${port} to ${open ? "accept connections" : "close"}`,
    ready: `${port} ${open ? "accepts connections" : "is closed"}`,
    probe: portProbe(a.host, a.port!, open),
  };
}

/** `ready`: what the probe saw (undefined when it could not be read: wait). */
function planWait(a: WaitArgs, ready: boolean | undefined): Plan {
  const { what, probe, ...now } = readiness(a);
  if (ready) return { changed: false, reason: `${now.ready} already`, steps: [] };
  const steps: Step[] = [
    ...(a.delay > 0 ? [{ kind: "exec" as const, command: ["sleep", String(a.delay)] }] : []),
    { kind: "wait", probe, timeoutSec: a.timeout, intervalSec: a.sleep, what },
  ];
  return { changed: false, reason: `waits for ${what} (up to ${a.timeout}s)`, steps };
}

export const waitForModule: ModuleDefinition<WaitArgs, boolean | undefined> = defineModule({
  name: "wait_for",
  description:
    "Wait until a TCP port opens or closes, a URL answers with a given HTTP status, or a read-only command " +
    "succeeds.",
  args: waitArgs,
  probe: (a) => readiness(a).probe,
  plan: planWait,
});
