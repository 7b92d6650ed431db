/**
 * package (alias apt): Debian packages through apt-get. The probe reads dpkg's status of the named
 * packages (and, for `latest`, apt's candidate versions; for `cache_valid_time`, the index age) in one
 * round trip. The package index is refreshed at most once per host per run, before an install.
 */
import { z } from "zod";
import { type Command, raw } from "../core/command.ts";
import type { ExecResult } from "../core/types.ts";
import { plural, probeFailed } from "./_util.ts";
import { defineModule, type ModuleDefinition, type Plan, type Step } from "./types.ts";

const PKG = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/;
const pkgName = z.string().regex(PKG, {
  error: "should be a Debian package name like nginx (or nginx=1.22.1-9 to pin a version)",
});

const packageArgs = z.object({
  name: z.union([pkgName, z.array(pkgName).min(1)]).optional().describe(
    "Package name or list of names; name=version pins a version. Without it, the task only refreshes " +
      "the package index (update_cache or cache_valid_time), as Ansible's apt does.",
  ),
  state: z.enum(["present", "absent", "latest"]).default("present").describe(
    "present: installed (any version, or the pinned one); latest: at the candidate version of the " +
      "package index; absent: removed.",
  ),
  update_cache: z.boolean().optional().describe(
    "Refresh the package index (apt-get update). Unset: before installing something, or when " +
      "cache_valid_time is set; true: always; false: never. Refreshed at most once per host per run.",
  ),
  cache_valid_time: z.number().int().nonnegative().optional().describe(
    "Skip the refresh when the index is younger than this many seconds (refresh it otherwise).",
  ),
  install_recommends: z.boolean().default(false).describe("Also install recommended packages."),
  purge: z.boolean().default(false).describe("state: absent: also remove configuration files."),
}).strict().superRefine((a, ctx) => {
  if (a.name === undefined && a.update_cache === undefined && a.cache_valid_time === undefined) {
    ctx.addIssue({ code: "custom", path: ["name"], message: "name is required (or update_cache alone)" });
  }
  const names = typeof a.name === "string" ? [a.name] : a.name ?? [];
  if (a.state !== "present" && names.some((n) => n.includes("="))) {
    ctx.addIssue({
      code: "custom",
      path: ["name"],
      message: `state: ${a.state} takes names without =version`,
    });
  }
});
type PackageArgs = z.infer<typeof packageArgs>;

type Status = "installed" | "config-files" | "not-installed" | "broken";

export interface PackageFacts {
  /** Packages dpkg knows, by name (without architecture). */
  packages: Record<string, { status: Status; version: string }>;
  /** state: latest: apt's candidate version by name ("(none)" when no source has it). */
  candidates?: Record<string, string>;
  /** cache_valid_time: age of the package index in seconds (undefined when never refreshed). */
  cacheAge?: number;
}

const split = (n: string) => {
  const [spec, version] = n.split("=", 2);
  return { spec, name: spec.replace(/:.*/, ""), version: version as string | undefined };
};
const requested = (a: PackageArgs) => (typeof a.name === "string" ? [a.name] : a.name ?? []).map(split);

const LOCK = ["-o", "DPkg::Lock::Timeout=120"];
const APT = ["DEBIAN_FRONTEND=noninteractive", "apt-get"];

function packageProbe(a: PackageArgs) {
  const specs = requested(a).map((p) => p.spec);
  // dpkg-query exits 1 when some package is unknown to dpkg: that is an answer, not a failure.
  // Without names (an index refresh alone), dpkg-query would list every package: nothing to ask.
  const command: Command = specs.length
    ? [
      "dpkg-query",
      "-W",
      "-f",
      "${Package}\\t${db:Status-Abbrev}\\t${Version}\\n",
      ...specs,
      raw("|| [ $? -eq 1 ]"),
    ]
    : ["true"];
  if (a.state === "latest") {
    command.push(raw("&& echo"), "lago:policy", raw("&&"), "LC_ALL=C", "apt-cache", "policy", ...specs);
  }
  if (a.cache_valid_time !== undefined) {
    command.push(
      raw("&& echo"),
      "lago:cache",
      raw("&& {"),
      ...["stat", "-c", "mtime %Y", "/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists"],
      raw("2>/dev/null || true; } &&"),
      ...["date", "+now %s"],
    );
  }
  return {
    command,
    parse(r: ExecResult): PackageFacts {
      if (r.exitCode !== 0) throw probeFailed("package", r);
      return parsePackages(r.stdout);
    },
  };
}

function parsePackages(stdout: string): PackageFacts {
  const facts: PackageFacts = { packages: {} };
  let section = "dpkg";
  let current = "";
  const mtimes: number[] = [];
  let now: number | undefined;
  for (const line of stdout.split("\n")) {
    if (line === "lago:policy") (section = "policy"), (facts.candidates = {});
    else if (line === "lago:cache") section = "cache";
    else if (section === "dpkg" && line.includes("\t")) {
      const [name, abbrev, version] = line.split("\t");
      facts.packages[name] = { status: status(abbrev), version };
    } else if (section === "policy") {
      const head = /^(\S+):$/.exec(line);
      const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
      if (head) current = head[1].replace(/:.*/, "");
      else if (cand && current) facts.candidates![current] = cand[1];
    } else if (section === "cache") {
      const m = /^(mtime|now) (\d+)$/.exec(line);
      if (m?.[1] === "mtime") mtimes.push(Number(m[2]));
      if (m?.[1] === "now") now = Number(m[2]);
    }
  }
  if (section === "cache" && now !== undefined && mtimes.length) facts.cacheAge = now - Math.max(...mtimes);
  return facts;
}

/** dpkg's two-letter status: the second letter is the current state. */
function status(abbrev: string): Status {
  const s = abbrev[1];
  if (s === "i" || s === "W" || s === "t") return "installed";
  if (s === "c") return "config-files";
  if (s === "n" || s === undefined) return "not-installed";
  return "broken";
}

function planPackages(a: PackageArgs, facts: PackageFacts): Plan {
  const pkgs = requested(a);
  const info = (name: string) => facts.packages[name];
  const installed = (name: string) => info(name)?.status === "installed";

  let install: typeof pkgs = [];
  let remove: typeof pkgs = [];
  let upToDate: typeof pkgs = [];
  if (a.state === "present") {
    install = pkgs.filter((p) =>
      !installed(p.name) || (p.version !== undefined && info(p.name).version !== p.version)
    );
  } else if (a.state === "latest") {
    const outdated = (p: (typeof pkgs)[number]) => {
      const c = facts.candidates?.[p.name];
      return c !== undefined && c !== "(none)" && c !== info(p.name).version;
    };
    install = pkgs.filter((p) => !installed(p.name) || outdated(p));
    upToDate = pkgs.filter((p) => !install.includes(p));
  } else {
    const left = (p: (typeof pkgs)[number]) => info(p.name)?.status ?? "not-installed";
    remove = pkgs.filter((p) => left(p) !== "not-installed" && (left(p) !== "config-files" || a.purge));
  }

  const fresh = a.cache_valid_time !== undefined && facts.cacheAge !== undefined &&
    facts.cacheAge < a.cache_valid_time;
  const refresh = !fresh && (a.update_cache ?? (a.cache_valid_time !== undefined || install.length > 0));
  const steps: Step[] = [];
  if (refresh) steps.push({ kind: "exec", command: [...APT, "update", ...LOCK], once: "apt-update" });

  // latest after a refresh: the new index may hold newer versions than the probe saw; installing
  // the up-to-date ones again is a no-op for apt unless there is one, and resultFrom tells.
  const reinstall = a.state === "latest" && refresh ? upToDate : [];
  const toInstall = [...install, ...reinstall];
  if (toInstall.length) {
    steps.push({
      kind: "exec",
      command: [
        ...APT,
        "install",
        "-y",
        ...LOCK,
        ...["-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"],
        ...(install.some((p) => p.version) ? ["--allow-downgrades"] : []),
        ...(a.install_recommends ? [] : ["--no-install-recommends"]),
        ...toInstall.map((p) => (p.version ? `${p.spec}=${p.version}` : p.spec)),
      ],
    });
  }
  if (remove.length) {
    steps.push({
      kind: "exec",
      command: [
        ...APT,
        "remove",
        "-y",
        ...LOCK,
        ...(a.purge ? ["--purge"] : []),
        ...remove.map((p) => p.spec),
      ],
    });
  }

  const names = (list: typeof pkgs) => list.map((p) => p.spec).join(", ");
  if (!pkgs.length) {
    const reason = refresh
      ? "would refresh the package index"
      : fresh
      ? `the package index is ${facts.cacheAge}s old: not refreshed`
      : "update_cache: false and no package: nothing to do";
    return { changed: false, reason, steps };
  }
  if (!install.length && !remove.length) {
    const already = a.state === "absent"
      ? `${names(pkgs)} ${pkgs.length === 1 ? "is" : "are"} not installed`
      : a.state === "latest"
      ? `${names(pkgs)} ${pkgs.length === 1 ? "is" : "are"} at the newest version in the host's package index`
      : `${names(pkgs)} ${pkgs.length === 1 ? "is" : "are"} already installed`;
    const after = reinstall.length
      ? "; the index is refreshed first and any newer version found then is installed"
      : refresh
      ? "; would refresh the package index"
      : fresh
      ? ` (index is ${facts.cacheAge}s old)`
      : "";
    return { changed: false, reason: already + after, steps };
  }

  const before = pkgs.filter((p) => installed(p.name)).map((p) => `${p.name} ${info(p.name).version}`);
  const afterList = pkgs.flatMap((p) => {
    if (remove.includes(p)) return [];
    if (install.includes(p)) {
      const v = p.version ?? facts.candidates?.[p.name];
      return [`${p.name} ${v && v !== "(none)" ? v : "(new)"}`];
    }
    return installed(p.name) ? [`${p.name} ${info(p.name).version}`] : [];
  });
  const parts = [
    install.length && `install ${names(install)}`,
    remove.length && `${a.purge ? "purge" : "remove"} ${names(remove)}`,
  ].filter(Boolean);
  return {
    changed: true,
    reason: `would ${parts.join(" and ")} (${plural(install.length + remove.length, "package")})${
      refresh ? "; the package index is refreshed first" : ""
    }`,
    steps,
    diffs: [{ target: "packages", before: lines(before), after: lines(afterList) }],
  };
}

const lines = (l: string[]) => l.map((x) => x + "\n").join("");

/** apt-get's summary line tells whether anything was installed, upgraded or removed. */
function resultFrom(outputs: ExecResult[]): Record<string, unknown> {
  let seen = false;
  let upgraded = 0;
  let installed = 0;
  let removed = 0;
  for (const o of outputs) {
    const m = /(\d+) upgraded, (\d+) newly installed, (\d+) to remove/.exec(o.stdout);
    if (!m) continue;
    seen = true;
    upgraded += Number(m[1]);
    installed += Number(m[2]);
    removed += Number(m[3]);
  }
  if (!seen) return {};
  return { changed: upgraded + installed + removed > 0, upgraded, installed, removed };
}

export const packageModule: ModuleDefinition<PackageArgs, PackageFacts> = defineModule({
  name: "package",
  description:
    "Install, upgrade or remove Debian packages with apt-get (the index is refreshed once per run).",
  args: packageArgs,
  probe: packageProbe,
  plan: planPackages,
  resultFrom,
});
