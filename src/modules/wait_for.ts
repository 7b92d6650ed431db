/**
 * wait_for: on apply, poll until a TCP port opens (or closes) or a URL answers with a status. It needs
 * no probe and changes nothing; its plan is one `wait` step whose check prints 1 when ready.
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
}).strict().superRefine((a, ctx) => {
  if ((a.port === undefined) === (a.url === undefined)) {
    ctx.addIssue({ code: "custom", path: [], message: "give port or url (one of them)" });
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

function planWait(a: WaitArgs): Plan {
  const what = a.url !== undefined
    ? `${a.url} to answer ${a.status}`
    : `port ${a.port} on ${a.host} to ${a.state === "started" ? "accept connections" : "close"}`;
  const probe = a.url !== undefined
    ? urlProbe({ ...a, url: a.url })
    : portProbe(a.host, a.port!, a.state === "started");
  const steps: Step[] = [
    ...(a.delay > 0 ? [{ kind: "exec" as const, command: ["sleep", String(a.delay)] }] : []),
    { kind: "wait", probe, timeoutSec: a.timeout, intervalSec: a.sleep, what },
  ];
  return { changed: false, reason: `waits for ${what} (up to ${a.timeout}s)`, steps };
}

export const waitForModule: ModuleDefinition<WaitArgs, undefined> = defineModule({
  name: "wait_for",
  description: "Wait until a TCP port opens or closes, or a URL answers with a given HTTP status.",
  args: waitArgs,
  probe: () => null,
  plan: planWait,
});
