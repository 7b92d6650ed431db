import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.ts";
import { loadPlaybook } from "../../../src/config/playbook.ts";
import { testModules } from "./registry.ts";

const dir = "test/fixtures/project";
const options = { modules: testModules, rolesPath: [`${dir}/roles`] };
const site = `${dir}/playbooks/site.yml`;
const roleDir = resolve(dir, "roles/app");

describe("playbook normalisation", () => {
  const { file, plays } = loadPlaybook(site, options);
  const [first, second] = plays;
  const at = (line: number, col: number, f = site) => ({ file: f, line, col });
  const roleTasks = `${dir}/roles/app/tasks/main.yml`;
  const role = {
    role: { name: "app", dir: roleDir },
    roleDefaults: { app_port: 80, app_user: "lago" },
    roleVars: { app_dir: "/opt/app", app_port: 9090 },
  };

  it("keeps play settings, with vars_files over vars and serial as a list", () => {
    expect(file).toBe(site);
    const { tasks: _, handlers: __, ...settings } = first;
    expect(settings).toEqual({
      name: "Lago hosts",
      hosts: "web:db",
      vars: { app_port: 8081, names: ["a", "b"] },
      become: true,
      serial: ["50%"],
      gatherFacts: true,
      source: at(2, 3),
    });
    const { tasks: ___, handlers: ____, ...other } = second;
    expect(other).toEqual({
      name: "db:web",
      hosts: "db:web",
      vars: {},
      serial: [1, "30%"],
      gatherFacts: false,
      maxFailPercentage: 10,
      anyErrorsFatal: true,
      source: at(44, 3),
    });
  });

  it("orders tasks pre_tasks, roles, tasks, post_tasks and separates keywords from arguments", () => {
    expect(first.tasks).toEqual([
      {
        name: "Update apt",
        module: "command",
        args: { cmd: "apt-get update" },
        keywords: {},
        source: at(11, 7),
      },
      {
        name: "Config",
        module: "template",
        args: { src: "app.conf.hbs", dest: "/etc/app.conf", mode: "0640" },
        keywords: { notify: ["restart app"], tags: ["app", "config"], when: ["deploy_app"] },
        source: at(1, 3, roleTasks),
        ...role,
      },
      {
        name: "Say hi",
        module: "command",
        args: { cmd: "echo hi {{ name }}" },
        keywords: {
          when: [true, "app_port > 1"],
          loop: "{{ names }}",
          loop_var: "name",
          register: "hi",
          notify: ["restart app"],
          tags: ["greet"],
          changed_when: false,
          failed_when: "hi.rc > 1",
          ignore_errors: true,
          become: false,
          become_user: "postgres",
          vars: { x: 1 },
          no_log: true,
        },
        source: at(19, 7),
      },
      {
        name: "shell",
        module: "shell",
        args: { cmd: "cat /etc/hostname", chdir: "/" },
        keywords: {},
        source: at(34, 7),
      },
      {
        name: "command: echo done",
        module: "command",
        args: { cmd: "echo done" },
        keywords: {},
        source: at(38, 7),
      },
    ]);
  });

  it("takes role handlers first, then the play's, with listen as a list", () => {
    expect(first.handlers.map((h) => [h.name, h.keywords.listen, h.role?.name])).toEqual([
      ["restart app", undefined, "app"],
      ["restart everything", ["restart app"], undefined],
    ]);
  });

  it("gives a role listed by name its own defaults and vars only", () => {
    expect(second.tasks[0]).toMatchObject({
      name: "Config",
      keywords: { tags: ["config"] },
      roleVars: { app_dir: "/opt/app" },
    });
    expect(second.tasks[0].keywords.when).toBeUndefined();
  });
});

describe("loadConfig", () => {
  it("loads an inventory and a playbook together", () => {
    const { inventory, playbook } = loadConfig(`${dir}/hosts.yml`, site, { ...options, limit: "web" });
    expect(inventory.hosts.map((h) => h.name)).toEqual(["w1", "d1"]);
    expect(playbook.plays).toHaveLength(2);
  });

  it("reports the problems of every file together", () => {
    const load = () =>
      loadConfig("test/fixtures/broken/inventory-port.yml", "test/fixtures/broken/missing-arg.yml", options);
    expect(load).toThrow(
      /inventory-port\.yml:6:25 .*\n(.*\n)*.*missing-arg\.yml:6:7 tasks\/2\/copy: missing required argument 'dest'$/,
    );
  });

  it("checks --limit against the inventory", () => {
    expect(() => loadConfig(`${dir}/hosts.yml`, site, { ...options, limit: "wbe" })).toThrow(
      "--limit: unknown group or host 'wbe' in pattern 'wbe' — did you mean 'web'?",
    );
  });
});
