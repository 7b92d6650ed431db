/**
 * scripts/prepare-machine.sh decides from what is on the PATH, who runs it and what `docker info` says.
 * Each case runs the real script with a PATH of stubs; installing with apt and starting dockerd for real
 * is what `npm run fresh-machine -- prepare` proves on a pristine Debian machine.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const DEMO_TOOLS = ["dockerd", "debootstrap", "docker-registry", "ssh", "ssh-keygen"];
const TEST_TOOLS = [...DEMO_TOOLS, "pebble", "pebble-challtestsrv", "openssl", "git"];
const systemd = existsSync("/run/systemd/system");

interface Case {
  name: string;
  purpose: string;
  uid: number;
  /** Commands on the PATH besides the basics (all exit 0). */
  tools: string[];
  /** What `docker info` does: answer, or fail with this message. */
  docker?: "answers" | string;
  code: number;
  stdout?: RegExp;
  /** The whole of standard error. */
  stderr?: string;
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function run(c: Case) {
  const bin = mkdtempSync(join(tmpdir(), "prepare-machine-"));
  dirs.push(bin);
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  for (const real of ["dirname", "head", "cut", "sed"]) symlinkSync(`/usr/bin/${real}`, join(bin, real));
  script("id", `if [ "$1" = -un ]; then echo alice; else echo ${c.uid}; fi`);
  for (const tool of c.tools) script(tool, "exit 0");
  const info = c.docker === "answers" ? "exit 0" : `echo '${c.docker ?? "no docker"}' >&2; exit 1`;
  script("docker", `case $1 in info) ${info} ;; version) echo 'Docker 99' ;; esac`);
  return spawnSync("/bin/bash", ["scripts/prepare-machine.sh", c.purpose], {
    env: { PATH: bin },
    encoding: "utf8",
  });
}

const cases: Case[] = [
  {
    name: "not root, nothing installed: the apt-get command to run",
    purpose: "demo",
    uid: 1000,
    tools: ["apt-get"],
    code: 1,
    stderr:
      "error: missing docker.io debootstrap docker-registry openssh-client: install them as root, then run " +
      "this again: sudo apt-get update && sudo apt-get install -y --no-install-recommends docker.io debootstrap " +
      "docker-registry openssh-client\n",
  },
  {
    name: "the tests need more than the demo",
    purpose: "test",
    uid: 1000,
    tools: [...DEMO_TOOLS, "apt-get"],
    code: 1,
    stderr:
      "error: missing pebble openssl git: install them as root, then run this again: sudo apt-get update " +
      "&& sudo apt-get install -y --no-install-recommends pebble openssl git\n",
  },
  {
    name: "root without apt-get: which packages, for another package manager",
    purpose: "demo",
    uid: 0,
    tools: DEMO_TOOLS.filter((t) => t !== "debootstrap"),
    code: 1,
    stderr: "error: missing debootstrap and this machine has no apt-get: install the Debian packages " +
      "debootstrap or their equivalents, then run this again\n",
  },
  {
    name: "not root, docker refuses this user",
    purpose: "demo",
    uid: 1000,
    tools: DEMO_TOOLS,
    docker: "permission denied while trying to connect to the Docker daemon socket",
    code: 1,
    stderr: "error: the Docker engine runs but alice may not use it: sudo usermod -aG docker alice, log in " +
      "again (or run as root)\n",
  },
  {
    name: "not root, docker not running",
    purpose: "demo",
    uid: 1000,
    tools: DEMO_TOOLS,
    docker: "Cannot connect to the Docker daemon. Is the docker daemon running?",
    code: 1,
    stderr: systemd
      ? "error: the Docker engine is not running: sudo systemctl start docker\n"
      : "error: the Docker engine is not running: sudo sh -c 'setsid nohup dockerd >/var/log/lago-dockerd.log " +
        "2>&1 </dev/null &'\n",
  },
  {
    name: "everything there: nothing to do",
    purpose: "demo",
    uid: 1000,
    tools: DEMO_TOOLS,
    docker: "answers",
    code: 0,
    stdout: /^\[prepare\] ready for the demo: Docker 99 \(\d+ s\)\n$/,
    stderr: "",
  },
  {
    name: "everything there for the tests, deno from node_modules",
    purpose: "test",
    uid: 0,
    tools: TEST_TOOLS,
    docker: "answers",
    code: 0,
    stdout: /^\[prepare\] ready for the test: Docker 99, deno 2\.\d+\.\d+ \(\d+ s\)\n$/,
    stderr: "",
  },
  {
    name: "no purpose",
    purpose: "",
    uid: 0,
    tools: [],
    code: 2,
    stderr: "usage: scripts/prepare-machine.sh demo|test\n",
  },
];

describe("scripts/prepare-machine.sh", () => {
  it.each(cases)("$name", (c) => {
    const r = run(c);
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: c.code, stderr: c.stderr ?? r.stderr });
    if (c.stdout) expect(r.stdout).toMatch(c.stdout);
    else expect(r.stdout).toBe("");
  });
});
