import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInventory } from "../../../src/config/inventory.ts";
import { describeTopology, fleetTopology, topologyVars } from "../../../src/fleet/topology.ts";

function inventory(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "topo-"));
  writeFileSync(join(dir, "hosts.yml"), yaml);
  return loadInventory(join(dir, "hosts.yml"));
}

const S3 = "  vars:\n    lago_use_aws_s3: true\n";
const fleet = (groups: string, vars = S3) => `all:\n${vars}  children:\n${groups}`;
const group = (name: string, hosts: string[], vars = "") =>
  `    ${name}:\n      hosts:\n${hosts.map((h) => `        ${h}:${vars ? `\n${vars}` : ""}`).join("\n")}\n`;
const standard = fleet(
  group("lago_web", ["web1", "web2"]) + group("lago_worker", ["worker1"]) + group("lago_clock", ["clock1"]),
);

describe("fleet topology", () => {
  it("no Lago groups: every host runs everything, on its own", () => {
    const t = fleetTopology(inventory("all:\n  hosts:\n    a:\n    b:\n"));
    expect(t.mode).toBe("single");
    expect(t.hosts.map((h) => [h.name, h.migrate])).toEqual([["a", true], ["b", true]]);
    expect(topologyVars(t, "a")).toEqual({});
    expect(describeTopology(t)).toBe("single hosts (each runs everything): a, b");
  });

  it("2 web, 1 worker, 1 clock, external DB and Redis", () => {
    const t = fleetTopology(inventory(standard));
    expect(t).toMatchObject({
      mode: "fleet",
      web: ["web1", "web2"],
      workers: ["worker1"],
      clock: "clock1",
      migrateHost: "web1",
    });
    expect(t.hosts.map((h) => [h.name, h.services])).toEqual([
      ["web1", ["api", "front"]],
      ["web2", ["api", "front"]],
      ["worker1", ["worker", "pdf"]],
      ["clock1", ["clock"]],
    ]);
    expect(topologyVars(t, "web1")).toEqual({
      lago_services: ["api", "front"],
      lago_migrate: true,
      lago_clock: false,
      lago_dedicated_workers: [],
      lago_sidekiq_queues: [],
    });
    expect(topologyVars(t, "web2")).toMatchObject({ lago_migrate: false, lago_clock: false });
    expect(topologyVars(t, "clock1")).toMatchObject({
      lago_services: ["clock"],
      lago_migrate: false,
      lago_clock: true,
    });
    expect(describeTopology(t)).toBe(
      "api: web1, web2; front: web1, web2; worker: worker1; clock: clock1; pdf: worker1; PostgreSQL external; Redis external",
    );
  });

  it("a host in several groups runs the union; db and redis hosts", () => {
    const t = fleetTopology(inventory(fleet(
      group("lago_web", ["a"]) + group("lago_worker", ["a"]) + group("lago_clock", ["a"]) +
        group("lago_db", ["b"]) +
        group("lago_redis", ["b"]),
      "",
    )));
    expect(t.hosts.map((h) => [h.name, h.services])).toEqual([
      ["a", ["api", "front", "worker", "pdf", "clock"]],
      ["b", ["db", "redis"]],
    ]);
  });

  it("dedicated queues: SIDEKIQ flags are the union, the same on every host", () => {
    const t = fleetTopology(inventory(
      fleet(
        group("lago_web", ["web1"]) + group("lago_worker", ["w1"]) + group("lago_worker_events", ["w2"]) +
          group("lago_clock", ["c1"]),
      ).replace("    lago_worker_events:\n      hosts:\n        w2:\n", "").replace(
        "        w1:\n",
        "        w1:\n        w2:\n          lago_worker_queues: [events, pdfs]\n",
      ),
    ));
    expect(t.hosts.find((h) => h.name === "w2")!.workerQueues).toEqual(["events", "pdfs"]);
    expect(topologyVars(t, "c1")).toMatchObject({ lago_sidekiq_queues: ["events", "pdfs"] });
    expect(topologyVars(t, "web1")).toMatchObject({ lago_sidekiq_queues: ["events", "pdfs"] });
  });

  const broken: [string, string, string[]][] = [
    [
      "two clocks",
      fleet(group("lago_web", ["web1"]) + group("lago_worker", ["w1"]) + group("lago_clock", ["c1", "c2"])),
      ["group lago_clock has 2 hosts (c1, c2): exactly one may run the clock, or every periodic job (billing!) is enqueued twice"],
    ],
    [
      "no clock, no worker",
      fleet(group("lago_web", ["web1"])),
      [
        "group lago_clock has no host: exactly one host must run the clock (add one to lago_clock)",
        "group lago_worker has no host: at least one host must run the Sidekiq workers",
      ],
    ],
    [
      "local storage on several app hosts",
      fleet(
        group("lago_web", ["web1", "web2"]) + group("lago_worker", ["w1"]) + group("lago_clock", ["c1"]),
        "",
      ),
      [
        "the api and workers run on 3 hosts (web1, web2, w1) but web1, web2, w1 keep files on local storage: a file " +
        "written on one host is missing on the others. Set lago_use_aws_s3: true (with lago_aws_s3_bucket, " +
        "lago_aws_s3_region, keys) or lago_use_gcs: true for every Lago host (group_vars/all.yml)",
      ],
    ],
    [
      "two databases",
      fleet(
        group("lago_web", ["a"]) + group("lago_worker", ["a"]) + group("lago_clock", ["a"]) +
          group("lago_db", ["b", "c"]),
      ),
      ["group lago_db has 2 hosts (b, c): one PostgreSQL serves the fleet (for replication, use a managed service and leave lago_db empty)"],
    ],
    [
      "queues on a non-worker, unknown queue",
      fleet(
        group("lago_web", ["web1"], "          lago_worker_queues: [events]") +
          group("lago_worker", ["w1"], "          lago_worker_queues: [evnts]") + group("lago_clock", ["c1"]),
      ),
      [
        "web1: lago_worker_queues is set but web1 is not in lago_worker",
        "w1: lago_worker_queues: item 1 is not a known queue (known: events, pdfs, billing, clock, webhook, analytics, ai_agent, payments, alerts, wallets)",
      ],
    ],
  ];
  it.each(broken)("refuses: %s", (_what, yaml, problems) => {
    let message = "";
    try {
      fleetTopology(inventory(yaml));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`the inventory's Lago topology is not valid:\n  - ${problems.join("\n  - ")}`);
  });
});
