/**
 * The tls role's nginx.conf, rendered from the role's defaults as the engine renders it: which paths go to
 * Lago's api (unchanged), which to the front, what is refused; HSTS by tls_mode. (End to end on real
 * hosts: test/e2e/roles-base.test.ts with nginx itself, test/e2e/lago.test.ts with Lago.)
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderText } from "../../../src/vars/template.ts";

const defaults = parse(readFileSync("roles/tls/defaults/main.yml", "utf8"));

function render(overrides: Record<string, unknown> = {}): string {
  const vars = {
    ...defaults,
    inventory_hostname: "lago.example.com",
    facts: { distribution_release: "bookworm" },
    ...overrides,
  };
  return renderText(readFileSync("roles/tls/templates/nginx.conf.hbs", "utf8"), vars, "nginx.conf.hbs");
}

/** location -> its directives, of the last server block (the one that proxies). */
function locations(conf: string): Record<string, string> {
  const server = conf.slice(conf.lastIndexOf("server {"));
  const out: Record<string, string> = {};
  for (const m of server.matchAll(/location ([^{]+)\{([^}]*)\}/g)) {
    out[m[1].trim()] = m[2].replace(/\s+/g, " ").trim();
  }
  return out;
}

describe("tls role: nginx routes", () => {
  it("the api's own paths reach it unchanged; everything else is the front's", () => {
    const l = locations(render());
    for (
      const path of ["/api/", "= /graphql", "= /cable", "/rails/active_storage/", "/webhooks/", "= /health"]
    ) {
      // proxy_pass without a URI: the request's path goes as it came.
      expect(l[path], path).toContain("proxy_pass http://lago_api;");
    }
    expect(l["/"]).toBe("proxy_pass http://lago_front;");
    // The former /api-prefixed layout's file links, webhooks and health check, stripped to the api's root.
    expect(l["/api/rails/active_storage/"]).toBe("proxy_pass http://lago_api/rails/active_storage/;");
    expect(l["/api/webhooks/"]).toBe("proxy_pass http://lago_api/webhooks/;");
    expect(l["= /api/health"]).toBe("proxy_pass http://lago_api/health;");
  });

  it("the Host the client sent, port included, is what the api sees", () => {
    const conf = render();
    expect(conf).toContain("proxy_set_header Host $lago_host;");
    expect(conf).toContain("proxy_set_header X-Forwarded-Host $lago_host;");
    expect(conf).toMatch(/map \$http_host \$lago_host \{\s*'' \$host;\s*default \$http_host;/);
  });

  it("/metrics and /sidekiq: refused unless exposed, then behind basic auth", () => {
    const closed = locations(render());
    expect(closed["= /metrics"]).toBe("return 404;");
    expect(closed["/sidekiq"]).toBe("return 404;");
    const open = locations(render({ tls_expose_metrics: true, tls_expose_sidekiq: true }));
    for (const path of ["= /metrics", "/sidekiq"]) {
      expect(open[path]).toBe(
        'auth_basic "Lago operations"; auth_basic_user_file /etc/nginx/lago-ops.htpasswd; proxy_pass http://lago_api;',
      );
    }
  });

  /** [tls_mode, tls_hsts_max_age, the header nginx adds or null] */
  const hsts: [string, unknown, string | null][] = [
    ["letsencrypt", 31536000, 'add_header Strict-Transport-Security "max-age=31536000" always;'],
    ["provided", 600, 'add_header Strict-Transport-Security "max-age=600" always;'],
    ["provided", 0, null],
    ["selfsigned", 31536000, null],
    ["none", 31536000, null],
  ];
  for (const [mode, age, header] of hsts) {
    it(`HSTS with ${mode}, max-age ${age}: ${header ? "sent" : "none"}`, () => {
      const conf = render({ tls_mode: mode, tls_hsts_max_age: age });
      if (header) expect(conf).toContain(header);
      else expect(conf).not.toContain("Strict-Transport-Security");
    });
  }
});
