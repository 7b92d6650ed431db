/**
 * What `status` reads from a host, in ONE round trip and read-only: the project's containers and their
 * probes (src/fleet/probe.ts), the api's /health through nginx, the certificate's end date, free disk
 * where the data is, the last backup and the backup timer, the fleet lock file. The script prints
 * sections (`=== NAME`); `parseHostStatus` (pure) turns them into facts.
 */
import { quote } from "../core/command.ts";
import {
  type Container,
  parseProbes,
  parseSurvey,
  probeLine,
  type ProbeResult,
  surveyScript,
} from "../fleet/probe.ts";
import { LOCK_FILE } from "../core/state-dir.ts";
import { type LockReply, parseLockReply } from "../fleet/lock.ts";
import { type BackupManifest, parseManifest } from "../backup/manifest.ts";

export interface StatusSettings {
  project: string;
  /** nginx's domain (lago_domain), its TLS mode and certificate folder (tls role). */
  domain: string;
  tlsMode: string;
  certDir: string;
  backupDir: string;
}

/** The systemd units of the scheduled backup (lago_backup role). */
export const BACKUP_TIMER = "lago-backup.timer";
export const BACKUP_SERVICE = "lago-backup.service";

export function hostStatusScript(s: StatusSettings): string {
  const tls = s.tlsMode !== "none";
  const url = `${tls ? "https" : "http"}://${s.domain}/health`;
  return `export LC_ALL=C
echo "=== now $(date +%s)"
echo "=== survey"
survey=$(${surveyScript(s.project).replaceAll("\n", "\n  ")})
printf '%s\\n' "$survey"
echo "=== probes"
printf '%s\\n' "$survey" | {
  while IFS='|' read -r tag svc state image oneoff ips name; do
    [ "$tag" = ctr ] && [ "$state" = running ] && [ "$oneoff" != True ] || continue
    ip=\${ips%% *}; name=\${name#/}
    case "$svc" in
      *worker*) port=8080; path=/ ;;
      *clock*) continue ;;
      api|*[-_]api) port=3000; path=/health ;;
      front|*[-_]front) port=80; path=/ ;;
      *) continue ;;
    esac
    ${probeLine('"${ip:-127.0.0.1}"', '"$port"', '"$path"', "$name")}
  done
  wait
}
echo "=== nginx"
command -v curl >/dev/null && curl -s${tls ? "k" : ""} -o /dev/null -w '%{http_code}\\n' --max-time 5 \\
  --resolve ${quote(`${s.domain}:${tls ? 443 : 80}:127.0.0.1`)} ${quote(url)}
echo "=== cert"
${
    tls
      ? `c=${quote(`${s.certDir}/fullchain.pem`)}
[ -r "$c" ] && end=$(openssl x509 -enddate -noout -in "$c" 2>/dev/null | cut -d= -f2) && date -d "$end" +%s`
      : ""
  }
echo "=== disk"
for p in /var/lib/docker ${quote(s.backupDir)}; do
  q=$p; while [ ! -e "$q" ]; do q=$(dirname "$q"); done
  df -Pk "$q" | awk -v p="$p" 'NR==2 {print p, $4, $2}'
done
echo "=== backup"
b=$(ls -1 ${quote(s.backupDir)} 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort | tail -n 1)
[ -n "$b" ] && m=${
    quote(s.backupDir)
  }/"$b"/manifest.json && [ -r "$m" ] && { echo "$b $(stat -c %Y "$m")"; head -c 4096 "$m"; echo; }
echo "=== timer"
command -v systemctl >/dev/null && systemctl show ${BACKUP_TIMER} -p ActiveState -p NextElapseUSecRealtime 2>/dev/null
command -v systemctl >/dev/null && systemctl show ${BACKUP_SERVICE} -p Result -p ExecMainExitTimestamp 2>/dev/null
echo "=== lock"
f=${quote(LOCK_FILE)}
if [ -e "$f" ]; then echo "held $(date +%s) $(stat -c %Y "$f")"; head -c 4096 "$f"; echo; else echo "free $(date +%s) 0"; fi
echo "=== end"`;
}

export interface HostStatusFacts {
  /** The host's clock (epoch seconds). */
  now: number;
  containers: Container[] | { error: string };
  probes: Map<string, ProbeResult>;
  /** HTTP status of /health through nginx; 0: no answer; null: not checked (no curl). */
  nginx: number | null;
  /** Certificate end (epoch seconds); null: none found or TLS off. */
  certEnd: number | null;
  disks: { path: string; freeKiB: number; sizeKiB: number }[];
  backup: { name: string; mtime: number; manifest?: BackupManifest; error?: string } | null;
  timer: { active: boolean; next?: string; lastResult?: string } | null;
  lock: LockReply | { error: string };
}

function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = "";
  for (const line of stdout.split("\n")) {
    const m = /^=== (\w+)(?: (.*))?$/.exec(line);
    if (m) {
      current = m[1];
      out.set(current, m[2] !== undefined ? [m[2]] : []);
    } else if (current) out.get(current)!.push(line);
  }
  return out;
}

export function parseHostStatus(stdout: string): HostStatusFacts {
  const s = sections(stdout);
  const text = (k: string) => (s.get(k) ?? []).join("\n").trim();
  const nginx = text("nginx");
  const cert = text("cert");
  const backupLines = s.get("backup")?.filter(Boolean) ?? [];
  let backup: HostStatusFacts["backup"] = null;
  const head = /^(\d{8}T\d{6}Z) (\d+)$/.exec(backupLines[0] ?? "");
  if (head) {
    const m = parseManifest(backupLines.slice(1).join("\n"), head[1]);
    backup = {
      name: head[1],
      mtime: Number(head[2]),
      ...("error" in m ? { error: m.error } : { manifest: m }),
    };
  }
  const props = Object.fromEntries(
    (s.get("timer") ?? []).map((l) => /^(\w+)=(.*)$/.exec(l.trim())).filter((m) => m !== null).map((
      m,
    ) => [m![1], m![2]]),
  );
  const timer = props.ActiveState === undefined ? null : {
    active: props.ActiveState === "active",
    next: props.NextElapseUSecRealtime || undefined,
    lastResult: props.ExecMainExitTimestamp ? props.Result : undefined,
  };
  let lock: HostStatusFacts["lock"];
  try {
    lock = parseLockReply(text("lock"));
  } catch (e) {
    lock = { error: (e as Error).message };
  }
  return {
    now: Number((s.get("now") ?? ["0"])[0]),
    containers: parseSurvey(text("survey")),
    probes: parseProbes(text("probes")),
    nginx: /^\d{3}$/.test(nginx) ? Number(nginx) : null,
    certEnd: /^\d+$/.test(cert) ? Number(cert) : null,
    disks: (s.get("disk") ?? []).map((l) => l.trim().split(" ")).filter((p) => p.length === 3).map((
      [path, free, size],
    ) => ({ path, freeKiB: Number(free), sizeKiB: Number(size) })),
    backup,
    timer,
    lock,
  };
}
