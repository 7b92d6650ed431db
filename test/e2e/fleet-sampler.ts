/**
 * Samples a fleet in the background while a command runs: /health of the web hosts and the running clock
 * containers of every host, so a test can say the API answered throughout and two clocks never ran.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { type HostProbe, startHostProbe } from "./host-probe.ts";

/**
 * One sample of a host, on the host, for each line read: the HTTP status of the api's /health (0 when it
 * does not answer within 3 s; web hosts only, argument "web") and the number of running containers
 * labelled as Lago's api-clock service (docker's own list, GET /containers/json with label filters, what
 * `docker ps --filter` asks). Python kept open rather than curl and docker started per sample: see
 * host-probe.ts.
 */
const FLEET_PROBE = `
import http.client, json, socket, sys, urllib.parse
web = sys.argv[1:] == ["web"]
clocks = "/containers/json?filters=" + urllib.parse.quote(json.dumps(
    {"label": ["com.docker.compose.project=lago", "com.docker.compose.service=api-clock"]}))

class Docker(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost", timeout=3)
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(3)
        self.sock.connect("/var/run/docker.sock")

def get(conn, path):
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    except Exception:
        return 0, b""
    finally:
        conn.close()

for _ in sys.stdin:
    answer = []
    if web:
        answer.append(get(http.client.HTTPConnection("127.0.0.1", 3000, timeout=3), "/health")[0])
    status, body = get(Docker(), clocks)
    try:
        answer.append(len(json.loads(body)) if status == 200 else 0)
    except ValueError:
        answer.append(0)
    print(*answer, flush=True)
`;

export class Sampler {
  samples: { at: number; health: Record<string, number>; clocks: Record<string, number> }[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private probes = new Map<string, HostProbe>();

  /** The hosts are read when sampling starts (tests pick them in beforeAll). */
  constructor(private web: () => string[], private all: () => string[]) {}

  /** All hosts at once, every 0.7 s, each through one program kept open for the run (FLEET_PROBE). */
  start(): void {
    this.stopped = false;
    const [web, all] = [this.web(), this.all()];
    const argv = (h: string) => ["python3", "-c", FLEET_PROBE, ...(web.includes(h) ? ["web"] : [])];
    this.probes = new Map(all.map((h) => [h, startHostProbe(h, argv(h))]));
    this.loop = (async () => {
      while (!this.stopped) {
        const at = Date.now();
        const answers = await Promise.all(
          all.map(async (h) =>
            [h, (await this.probes.get(h)!.sample()).split(/\s+/).map((n) => Number(n) || 0)] as const
          ),
        );
        const health = answers.filter(([h]) => web.includes(h)).map(([h, [code]]) => [h, code]);
        const clocks = answers.map(([h, numbers]) => [h, numbers.at(-1) ?? 0]);
        this.samples.push({ at, health: Object.fromEntries(health), clocks: Object.fromEntries(clocks) });
        await sleep(Math.max(0, 700 - (Date.now() - at)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all([...this.probes.values()].map((p) => p.stop()));
  }

  /** Samples taken since `from` (ms). */
  since(from: number) {
    return this.samples.filter((s) => s.at >= from);
  }

  /** Every sample since `from`: some web host answered 200, and at most one clock ran fleet-wide. */
  expectServingWithOneClock(from: number): void {
    const samples = this.since(from);
    expect(samples.length).toBeGreaterThan(10);
    const down = samples.filter((s) => !Object.values(s.health).includes(200));
    expect(down, `samples with no web host answering 200: ${JSON.stringify(down.slice(0, 5))}`).toEqual([]);
    const twoClocks = samples.filter((s) => Object.values(s.clocks).reduce((a, b) => a + b, 0) > 1);
    expect(twoClocks, `samples with two clocks: ${JSON.stringify(twoClocks.slice(0, 5))}`).toEqual([]);
  }
}
