/**
 * docs/lago-role.md's table of every variable the images read, against what the lago role's templates give
 * each service (compose.yml rendered from the role's defaults), the role's defaults, the role's list of the
 * names lago.env writes (roles/lago/vars/main.yml), and the lint's list of Lago's variables.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LAGO_ENV_NAMES } from "../../../src/lint/lago-env.ts";
import { renderText } from "../../../src/vars/template.ts";

interface Row {
  name: string;
  roleVars: string[];
  /** service -> the name it gets the value under (the row's name, or the "(as NAME)" of the table). */
  services: Map<string, string>;
}

function table(): Row[] {
  const doc = readFileSync("docs/lago-role.md", "utf8");
  const body = doc.slice(doc.indexOf("<!-- env-table:start -->"), doc.indexOf("<!-- env-table:end -->"));
  return body.split("\n").filter((l) => l.startsWith("| `")).map((line) => {
    const [name, roleVar, , services] = line.split("|").slice(1, -1).map((c) => c.trim());
    const given = services.startsWith("—") ? [] : services.split(/,\s*/);
    return {
      name: name.replaceAll("`", ""),
      roleVars: [...roleVar.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]),
      services: new Map(given.map((s) => {
        const m = /^(\w+)(?: \(as (\w+)\))?$/.exec(s);
        if (!m) throw new Error(`${name}: cannot read the services '${services}'`);
        return [m[1], m[2] ?? name.replaceAll("`", "")];
      })),
    };
  });
}

const defaults = {
  ...parse(readFileSync("roles/tls/defaults/main.yml", "utf8")),
  ...parse(readFileSync("roles/lago/defaults/main.yml", "utf8")),
};
const compose = parse(
  renderText(
    readFileSync("roles/lago/templates/compose.yml.hbs", "utf8"),
    // As the engine renders it: after lago_secrets registered the secrets (templated defaults read them).
    {
      ...defaults,
      inventory_hostname: "web1",
      lago_dedicated_workers: ["events"],
      lago_secret_values: { secrets: { POSTGRES_PASSWORD: "p", REDIS_PASSWORD: "r" } },
    },
    "compose.yml.hbs",
  ),
  { merge: true },
);
/** Who gets what: the environment keys of each kind of service. */
const received: Record<string, string[]> = {
  backend: Object.keys(compose["x-backend-env"]).map((k) => k === "SIDEKIQ_EVENTS" ? "SIDEKIQ_<QUEUE>" : k),
  front: Object.keys(compose.services.front.environment),
  db: Object.keys(compose.services.db.environment),
  redis: Object.keys(compose.services.redis.environment),
};
const rows = table();

describe("docs/lago-role.md: every variable the images read", () => {
  it("reads as a table, one row per variable", () => {
    expect(rows.length).toBeGreaterThan(80);
    const names = rows.map((r) => r.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it("each service gets exactly the variables the table says", () => {
    for (const [service, keys] of Object.entries(received)) {
      const listed = rows.flatMap((r) => r.services.has(service) ? [r.services.get(service)!] : []).sort();
      // The redis service's own REDIS_PORT is listed; its password arrives as REDISCLI_AUTH (listed too).
      expect([...keys].sort(), service).toEqual(listed);
    }
    for (const service of ["api", "api-worker", "api-events-worker", "api-clock", "migrate"]) {
      expect(compose.services[service].environment, service).toMatchObject(compose["x-backend-env"]);
    }
  });

  it("each role variable it names exists, with a default", () => {
    for (const row of rows) {
      for (const v of row.roleVars) expect(defaults, `${row.name}: ${v}`).toHaveProperty(v);
    }
  });

  it("covers the seed's table and every other name the lint knows", () => {
    const names = new Set(rows.map((r) => r.name));
    expect([...LAGO_ENV_NAMES].filter((n) => !names.has(n)).sort()).toEqual([]);
  });

  it("the role's list of what lago.env writes is the template's (lago_extra_env may not repeat them)", () => {
    const written = [
      ...readFileSync("roles/lago/templates/lago.env.hbs", "utf8").matchAll(/^([A-Z][A-Z0-9_]*)='/gm),
    ]
      .map((m) => m[1]);
    const vars = parse(readFileSync("roles/lago/vars/main.yml", "utf8"));
    expect(vars.lago_env_names).toEqual(written);
  });
});
