import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { LocalConnection } from "../../../src/connection/local.ts";
import {
  type Container,
  hostState,
  imageRepository,
  imageVersion,
  judgeHealth,
  parseProbes,
  parseSurvey,
  probeScript,
  probeTargets,
  serviceKind,
  surveyScript,
} from "../../../src/fleet/probe.ts";

const R = "172.17.0.1:5000/getlago";
const ctr = (service: string, version: string, over: Partial<Container> = {}): Container => ({
  name: `lago-${service}-1`,
  service,
  kind: serviceKind(service),
  state: "running",
  image: `${R}/${service === "front" ? "front" : "api"}:${version}`,
  version,
  oneoff: false,
  ip: "10.0.0.2",
  ...over,
});

describe("reading containers", () => {
  it("service kinds, image versions", () => {
    expect(
      [
        "api",
        "api-worker",
        "api-events-worker",
        "api-clock",
        "front",
        "db",
        "redis",
        "pdf",
        "migrate",
        "lago-api",
      ].map(serviceKind),
    )
      .toEqual([
        "api",
        "worker",
        "worker",
        "clock",
        "front",
        undefined,
        undefined,
        undefined,
        undefined,
        "api",
      ]);
    expect(imageVersion(`${R}/api:v1.50.0`)).toBe("v1.50.0");
    expect(imageVersion("localhost:5000/getlago/api")).toBeNull();
    expect(imageVersion("getlago/api@sha256:abc")).toBeNull();
    expect(imageRepository(`${R}/api:v1.50.0`)).toBe(`${R}/api`);
  });

  it("parses docker inspect lines; no docker is an error", () => {
    const out = [
      `ctr|api|running|${R}/api:v1.49.0||172.18.0.3 |/lago-api-1`,
      `ctr|migrate|exited|${R}/api:v1.49.0|True|172.18.0.4 |/lago_migrate_run_1`,
      `ctr|api-clock|running|${R}/api:v1.49.0|||/lago-api-clock-1`,
    ].join("\n");
    expect(parseSurvey(out)).toEqual([
      {
        name: "lago-api-1",
        service: "api",
        kind: "api",
        state: "running",
        image: `${R}/api:v1.49.0`,
        version: "v1.49.0",
        oneoff: false,
        ip: "172.18.0.3",
      },
      expect.objectContaining({ service: "migrate", kind: undefined, oneoff: true }),
      expect.objectContaining({ service: "api-clock", kind: "clock", ip: "" }),
    ]);
    expect(parseSurvey("nodocker Cannot connect to the Docker daemon")).toEqual({
      error: "docker does not answer: Cannot connect to the Docker daemon",
    });
    expect(surveyScript("lago")).toContain("label=com.docker.compose.project=lago");
  });

  const states: [string, Container[], { version: string | null; clocks: number }][] = [
    ["nothing deployed", [], { version: null, clocks: 0 }],
    ["one version, all running", [
      ctr("api", "v1.50.0"),
      ctr("front", "v1.50.0"),
      ctr("api-clock", "v1.50.0"),
    ], { version: "v1.50.0", clocks: 1 }],
    ["db and one-off containers do not count", [
      ctr("api", "v1.50.0"),
      ctr("db", "15"),
      ctr("migrate", "v1.49.0", { oneoff: true }),
    ], { version: "v1.50.0", clocks: 0 }],
    ["two versions: mixed", [ctr("api", "v1.50.0"), ctr("api-worker", "v1.49.0")], {
      version: "mixed",
      clocks: 0,
    }],
    ["a stopped container (interrupted deploy): mixed", [ctr("api", "v1.50.0", { state: "created" })], {
      version: "mixed",
      clocks: 0,
    }],
  ];
  it.each(states)("host state: %s", (_what, cs, state) => {
    expect(hostState(cs)).toEqual(state);
  });
});

describe("judgeHealth", () => {
  const ok = (body = '{"version":"v1.50.0","message":"Success"}') => ({ status: 200, body });
  const web = [ctr("api", "v1.50.0"), ctr("front", "v1.50.0")];
  const probes = (entries: [string, { status: number; body: string }][]) => new Map(entries);
  const cases: [
    string,
    string[],
    Container[],
    Map<string, { status: number; body: string }>,
    string | undefined,
  ][] = [
    [
      "healthy web host",
      ["api", "front"],
      web,
      probes([["lago-api-1", ok()], ["lago-front-1", ok("<html>")]]),
      undefined,
    ],
    [
      "api 500 with Lago's details",
      ["api", "front"],
      web,
      probes([["lago-api-1", {
        status: 500,
        body: '{"version":"v1.50.0","message":"Unhealthy","details":"database: pending migrations"}',
      }], ["lago-front-1", ok("")]]),
      "api /health 500: database: pending migrations",
    ],
    [
      "api reports another version",
      ["api"],
      [ctr("api", "v1.50.0")],
      probes([["lago-api-1", ok('{"version":"v1.49.0"}')]]),
      "api /health reports v1.49.0, not v1.50.0",
    ],
    [
      "api silent",
      ["api"],
      [ctr("api", "v1.50.0")],
      probes([["lago-api-1", { status: 0, body: "" }]]),
      "api does not answer on :3000",
    ],
    ["container still on the old image", ["api"], [ctr("api", "v1.49.0")], probes([]), "api runs v1.49.0"],
    [
      "worker liveness 404 (no Redis)",
      ["worker", "pdf"],
      [ctr("api-worker", "v1.50.0")],
      probes([["lago-api-worker-1", { status: 404, body: "" }]]),
      "worker :8080 answers 404",
    ],
    ["clock running is enough", ["clock"], [ctr("api-clock", "v1.50.0")], probes([]), undefined],
    [
      "clock missing, front restarting",
      ["clock", "front"],
      [ctr("front", "v1.50.0", { state: "restarting" })],
      probes([]),
      "no clock container; front not running (restarting)",
    ],
  ];
  it.each(cases)("%s", (_what, expected, cs, ps, problem) => {
    expect(judgeHealth(expected as never, "v1.50.0", cs, ps)).toBe(problem);
  });
});

describe("probe script (bash /dev/tcp, no curl)", () => {
  it("gets status and body of each target in parallel; a closed port is status 0", async () => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/health" ? 200 : 404, { "content-type": "application/json" });
      res.end(req.url === "/health" ? '{"version":"v1.50.0",\n"message":"Success"}' : "nope");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const targets = [
        { name: "a", kind: "api" as const, ip: "127.0.0.1", port, path: "/health" },
        { name: "b", kind: "front" as const, ip: "127.0.0.1", port, path: "/" },
        { name: "c", kind: "worker" as const, ip: "127.0.0.1", port: 1, path: "/" },
      ];
      const r = await new LocalConnection("local").exec(probeScript(targets));
      expect(parseProbes(r.stdout)).toEqual(
        new Map([
          ["a", { status: 200, body: '{"version":"v1.50.0","message":"Success"}' }],
          ["b", { status: 404, body: "nope" }],
          ["c", { status: 0, body: "" }],
        ]),
      );
    } finally {
      server.close();
    }
  });

  it("targets: running api, worker and front containers at their ports", () => {
    expect(
      probeTargets([
        ctr("api", "v1"),
        ctr("api-clock", "v1"),
        ctr("api-worker", "v1", { ip: "" }),
        ctr("front", "v1", { state: "exited" }),
      ]),
    )
      .toEqual([
        { name: "lago-api-1", kind: "api", ip: "10.0.0.2", port: 3000, path: "/health" },
        { name: "lago-api-worker-1", kind: "worker", ip: "127.0.0.1", port: 8080, path: "/" },
      ]);
  });
});
