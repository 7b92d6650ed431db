import { expect } from "vitest";
import type {
  ComposeContainer,
  ComposeFacts,
  ComposeService,
} from "../../../src/modules/docker_compose/index.ts";
import type { ModuleCase, ProbeCase } from "./cases.ts";

// A Lago project as the lago role writes it: db, redis, one-shot migrate, api, worker, clock, front, pdf.
const REG = "172.17.0.1:5000/";
const API = `${REG}getlago/api:v1.50.0`;
const IMAGES: Record<string, string> = {
  db: `${REG}getlago/postgres-partman:15.0-alpine`,
  redis: `${REG}redis:7-alpine`,
  migrate: API,
  api: API,
  "api-worker": API,
  "api-clock": API,
  front: `${REG}getlago/front:v1.50.0`,
  pdf: `${REG}getlago/lago-gotenberg:8`,
};
const BACKEND_DEPS = ["db", "migrate", "redis"];
const DEPS: Record<string, string[]> = {
  migrate: ["db"],
  api: BACKEND_DEPS,
  "api-worker": BACKEND_DEPS,
  "api-clock": BACKEND_DEPS,
};
const NAMES = ["api", "api-clock", "api-worker", "db", "front", "migrate", "pdf", "redis"];
const hash = (name: string, v = 1) => `${name.length}${v}`.padEnd(64, "a");
const imageId = (image: string) => `sha256:${image.length}`.padEnd(71, "b");

const services: ComposeService[] = NAMES.map((name) => ({
  name,
  image: IMAGES[name],
  restart: name === "migrate" ? "no" : "unless-stopped",
  dependsOn: DEPS[name] ?? [],
}));

function container(name: string, over: Partial<ComposeContainer> = {}): ComposeContainer {
  const migrate = name === "migrate";
  return {
    id: `id-${name}`,
    name: `lago-${name}-1`,
    service: name,
    hash: hash(name),
    state: migrate ? "exited" : "running",
    status: migrate
      ? "Exited (0) 3 minutes ago"
      : ["db", "redis", "api"].includes(name)
      ? "Up 3 minutes (healthy)"
      : "Up 3 minutes",
    image: imageId(IMAGES[name] ?? name),
    ...over,
  };
}

/** The project converged: every container on the current config, every image present. */
function facts(over: Partial<ComposeFacts> = {}, containers = NAMES.map((n) => container(n))): ComposeFacts {
  return {
    cli: "docker compose",
    containers,
    hashes: Object.fromEntries(NAMES.map((n) => [n, hash(n)])),
    services,
    images: Object.fromEntries(Object.values(IMAGES).map((i) => [i, imageId(i)])),
    ...over,
  };
}
const withContainer = (name: string, over: Partial<ComposeContainer>) =>
  NAMES.map((n) => container(n, n === name ? over : {}));
const hashes = (changed: string[]) =>
  Object.fromEntries(NAMES.map((n) => [n, hash(n, changed.includes(n) ? 2 : 1)]));

const args = { project_name: "lago", project_src: "/opt/lago", env_file: "lago.env" };
const DC = "cd /opt/lago && docker compose -p lago -f compose.yml --env-file lago.env";
const WAIT = "wait 8 services of lago to be running and healthy (timeout 300s)";

export const planCases: ModuleCase[] = [
  {
    name: "every service on its config, running or completed: no change, no step",
    args,
    facts: facts(),
    expect: {
      changed: false,
      reason:
        "project lago: 8 services up to date (api running, api-clock running, api-worker running, db running, " +
        "front running, migrate completed, pdf running, redis running)",
      steps: [],
      result: { compose_cli: "docker compose", services: { create: [], recreate: [], ok: NAMES } },
    },
  },
  {
    name: "bare host: pull every image, create every service, wait",
    args,
    facts: facts({ images: Object.fromEntries(Object.values(IMAGES).map((i) => [i, null])) }, []),
    expect: {
      changed: true,
      reason:
        "project lago: would create api, api-clock, api-worker, db, front, migrate, pdf, redis; pull 5 images",
      steps: [`${DC} pull -q ${NAMES.join(" ")}`, `${DC} up -d ${NAMES.join(" ")}`, WAIT],
      result: { services: { create: NAMES, pull: NAMES } },
    },
  },
  {
    name: "a variable only the front reads changed: recreate front alone",
    args,
    facts: facts({ hashes: hashes(["front"]) }),
    expect: {
      changed: true,
      reason: "project lago: would recreate front",
      steps: [`${DC} up -d front`, WAIT],
      diffs: [{
        target: "compose services",
        before: expect.stringContaining(`front: running, config ${hash("front").slice(0, 12)}\n`),
        after: expect.stringContaining(
          `front: running, config ${hash("front", 2).slice(0, 12)} (recreate)\n`,
        ),
      }],
    },
  },
  {
    name: "a backend variable changed: migrate runs again (new container) before api, worker and clock",
    args,
    facts: facts({ hashes: hashes(["migrate", "api", "api-worker", "api-clock"]) }),
    expect: {
      changed: true,
      reason: "project lago: would recreate api, api-clock, api-worker, migrate",
      steps: [`${DC} up -d api api-clock api-worker migrate`, WAIT],
      diffs: [{
        target: "compose services",
        after: expect.stringContaining(
          `migrate: completed, config ${hash("migrate", 2).slice(0, 12)} (recreate)`,
        ),
      }],
    },
  },
  {
    name: "only api changed: compose starts the completed migrate again before it (same container)",
    args,
    facts: facts({ hashes: hashes(["api"]) }),
    expect: {
      changed: true,
      reason: "project lago: would recreate api; start migrate",
      steps: [`${DC} up -d api migrate`, WAIT],
    },
  },
  {
    name: "a stopped db is started",
    args,
    facts: facts({}, withContainer("db", { state: "exited", status: "Exited (137) 5 seconds ago" })),
    expect: {
      changed: true,
      reason: "project lago: would start db",
      steps: [`${DC} up -d db`, WAIT],
      diffs: [{ target: "compose services", before: expect.stringContaining("db: exited (137), config") }],
    },
  },
  {
    name: "a migrate that failed runs again",
    args,
    facts: facts({}, withContainer("migrate", { status: "Exited (1) 1 minute ago" })),
    expect: { changed: true, reason: "would start migrate", steps: [`${DC} up -d migrate`, WAIT] },
  },
  {
    name: "a long-running service that exited 0 is started (only one-shots are done when they exit)",
    args,
    facts: facts({}, withContainer("pdf", { state: "exited", status: "Exited (0) 1 minute ago" })),
    expect: { changed: true, reason: "would start pdf" },
  },
  {
    name: "an orphan (service gone from the files) is removed",
    args,
    facts: facts({}, [
      ...NAMES.map((n) => container(n)),
      container("api-events-worker", { id: "id-orphan", image: "" }),
    ]),
    expect: {
      changed: true,
      reason: "project lago: would remove orphan api-events-worker",
      steps: ["docker rm -f id-orphan", WAIT],
      result: { services: { remove: ["api-events-worker"] } },
    },
  },
  {
    name: "remove_orphans: false keeps it",
    args: { ...args, remove_orphans: false },
    facts: facts({}, [...NAMES.map((n) => container(n)), container("old", { id: "id-old" })]),
    expect: { changed: false, steps: [] },
  },
  {
    name: "compose v2: the tag now names another image (re-pulled): recreate",
    args,
    facts: facts({}, withContainer("pdf", { image: "sha256:older" })),
    expect: { changed: true, reason: "would recreate pdf", steps: [`${DC} up -d pdf`, WAIT] },
  },
  {
    name: "compose v1 records no image label: the hash (which covers the image) decides",
    args,
    facts: facts({ cli: "docker-compose" }, NAMES.map((n) => container(n, { image: "" }))),
    expect: { changed: false, steps: [] },
  },
  {
    name: "a new release: api image missing, pull it and recreate what uses it",
    args,
    facts: facts({
      hashes: hashes(["migrate", "api", "api-worker", "api-clock"]),
      images: { ...facts().images, [API]: null },
    }),
    expect: {
      changed: true,
      reason: "would recreate api, api-clock, api-worker, migrate; pull 1 image",
      steps: [
        `${DC} pull -q api api-clock api-worker migrate`,
        `${DC} up -d api api-clock api-worker migrate`,
        WAIT,
      ],
    },
  },
  {
    name: "pull: never leaves a missing image to compose",
    args: { ...args, pull: "never" },
    facts: facts({ images: { ...facts().images, [API]: null } }),
    expect: { changed: false, steps: [] },
  },
  {
    name: "pull: always pulls and ups everything; only compose's output tells if it changed",
    args: { ...args, pull: "always", wait: false },
    facts: facts(),
    expect: {
      changed: false,
      steps: [`${DC} pull -q ${NAMES.join(" ")}`, `echo lago:up-always; ${DC} up -d ${NAMES.join(" ")}`],
    },
  },
  {
    name: "services: front only (it depends on nothing)",
    args: { ...args, services: ["front"] },
    facts: facts({ hashes: hashes(["front", "api"]) }),
    expect: {
      changed: true,
      reason: "would recreate front",
      steps: [`${DC} up -d front`, "wait 1 service of lago to be running and healthy (timeout 300s)"],
    },
  },
  {
    name: "services: api brings its dependencies (db, migrate, redis)",
    args: { ...args, services: ["api"] },
    facts: facts({}, []),
    expect: {
      changed: true,
      reason: "would create api, db, migrate, redis",
      steps: [
        `${DC} up -d api db migrate redis`,
        "wait 4 services of lago to be running and healthy (timeout 300s)",
      ],
    },
  },
  {
    name: "error: a service the files do not define",
    args: { ...args, services: ["worker"] },
    facts: facts(),
    expect: { error: "no service 'worker' in project lago" },
  },
  {
    name: "state: absent removes the project's containers (volumes kept)",
    args: { ...args, state: "absent" },
    facts: facts(),
    expect: {
      changed: true,
      reason: "project lago: would remove 8 containers (volumes kept)",
      steps: [`${DC} down --remove-orphans`],
    },
  },
  {
    name: "state: absent without the compose files: docker rm by label",
    args: { ...args, state: "absent" },
    facts: facts({ missing: { path: "", what: "directory" } }, [container("api"), container("db")]),
    expect: { changed: true, steps: ["docker rm -f id-api id-db"] },
  },
  {
    name: "state: absent and nothing there: no change",
    args: { ...args, state: "absent" },
    facts: facts({ missing: { path: "", what: "directory" } }, []),
    expect: { changed: false, reason: "project lago has no containers", steps: [] },
  },
  {
    name: "state: restarted restarts (the given services) and always changes",
    args: { ...args, state: "restarted", services: ["api", "api-worker"], wait: false },
    facts: facts(),
    expect: {
      changed: true,
      reason: "would restart api, api-worker",
      steps: [`${DC} restart api api-worker`],
    },
  },
  {
    name: "compose_command: the configured CLI, also in the steps",
    args: { ...args, compose_command: "/usr/local/bin/lago-compose", wait: false },
    facts: facts({ cli: "/usr/local/bin/lago-compose", hashes: hashes(["front"]) }),
    expect: {
      changed: true,
      steps: [
        "cd /opt/lago && /usr/local/bin/lago-compose -p lago -f compose.yml --env-file lago.env up -d front",
      ],
    },
  },
  {
    name: "compose v1 (docker-compose): the same plan, its CLI",
    args: { ...args, wait: false },
    facts: facts({ cli: "docker-compose", hashes: hashes(["front"]) }),
    expect: {
      changed: true,
      steps: ["cd /opt/lago && docker-compose -p lago -f compose.yml --env-file lago.env up -d front"],
    },
  },
  {
    name: "check mode, no compose yet (the docker role installs it earlier): a change assumed",
    args,
    check: true,
    facts: facts({ cli: null }, []),
    expect: { changed: true, reason: "would be deployed once Docker and Compose are installed" },
  },
  {
    name: "apply, no compose CLI: an error that says what to do",
    args,
    facts: facts({ cli: null }, []),
    expect: { error: "no compose CLI on the host" },
  },
  {
    name: "apply, docker does not answer",
    args,
    facts: facts({ dockerError: "Cannot connect to the Docker daemon" }, []),
    expect: { error: "docker does not answer: Cannot connect to the Docker daemon" },
  },
  {
    name: "check mode, env file not written yet (an earlier template task writes it)",
    args,
    check: true,
    facts: facts({ missing: { path: "lago.env", what: "file" } }, []),
    expect: { changed: true, reason: "(/opt/lago/lago.env is not there yet)" },
  },
  {
    name: "apply, compose file missing: error",
    args,
    facts: facts({ missing: { path: "compose.yml", what: "file" } }, []),
    expect: { error: "/opt/lago/compose.yml does not exist" },
  },
  {
    name: "compose cannot read its files: its own message",
    args,
    facts: facts({ configError: "services.api.ports must be a list" }),
    expect: { error: "`docker compose config` failed in /opt/lago: services.api.ports must be a list" },
  },
  {
    name: "env_template: a variable that differs from env_file recreates the services that read it",
    args: { ...args, env_template: "lago.env.hbs" },
    check: true,
    vars: { dsn: "https://new@sentry/2", pool: 10 },
    localFiles: { "lago.env.hbs": "SENTRY_DSN_FRONT='{{ dsn }}'\nDATABASE_POOL='{{ pool }}'\n" },
    facts: facts({
      // sha256 of "DATABASE_POOL='10'" (unchanged) and of the old SENTRY_DSN_FRONT line.
      envHashes: {
        DATABASE_POOL: "8eb8fa4302985b9a942957ef56822caf53ab88f5a9e06342045ca3713c26f824",
        SENTRY_DSN_FRONT: "0".repeat(64),
      },
      refs: { front: ["LAGO_API_URL", "SENTRY_DSN_FRONT"], api: ["DATABASE_POOL", "LAGO_API_URL"] },
    }),
    expect: {
      changed: true,
      reason: "project lago: would recreate front (SENTRY_DSN_FRONT in lago.env would change)",
      diffs: [{
        target: "compose services",
        after: expect.stringContaining("front: running, config changes: reads SENTRY_DSN_FRONT (recreate)"),
      }],
    },
  },
  {
    name: "env_template: env_file already written from it (apply, after the template task): nothing differs",
    args: { ...args, env_template: "lago.env.hbs" },
    vars: { pool: 10 },
    localFiles: { "lago.env.hbs": "DATABASE_POOL='{{ pool }}'\n" },
    facts: facts({
      envHashes: { DATABASE_POOL: "8eb8fa4302985b9a942957ef56822caf53ab88f5a9e06342045ca3713c26f824" },
      refs: { api: ["DATABASE_POOL"] },
    }),
    expect: { changed: false, steps: [] },
  },
  {
    name: "wait: false: no wait step",
    args: { ...args, wait: false },
    facts: facts({ hashes: hashes(["front"]) }),
    expect: { changed: true, steps: [`${DC} up -d front`] },
  },
  {
    name: "error: project name with capitals (compose would lowercase it and miss the containers)",
    args: { ...args, project_name: "Lago" },
    expect: { error: "project_name: should be a compose project name" },
  },
  {
    name: "error: project_src not absolute",
    args: { ...args, project_src: "opt/lago" },
    expect: { error: "project_src: should be an absolute path" },
  },
  { name: "error: unknown state", args: { ...args, state: "started" }, expect: { error: "state" } },
  {
    name: "error: unknown key",
    args: { ...args, build: true },
    expect: { error: 'Unrecognized key: "build"' },
  },
];

const V2_OUTPUT = `lago:cli docker compose
lago:ctr 841315aa48d0\tlago-front-1\tfront\t${hash("front")}\trunning\tUp 9 minutes\tFalse\tsha256:13ce
lago:ctr ff8cb3085201\tlago-migrate-1\tmigrate\t${
  hash("migrate")
}\texited\tExited (0) 9 minutes ago\tFalse\tsha256:aa
lago:ctr 1234\tlago-migrate-run-1\tmigrate\t${
  hash("migrate")
}\texited\tExited (0) 1 minute ago\tTrue\tsha256:aa
lago:hash front ${hash("front")}
lago:hash migrate ${hash("migrate")}
lago:svc front
lago:image front 172.17.0.1:5000/getlago/front:v1.50.0
lago:restart front unless-stopped
lago:svc migrate
lago:dep migrate db
lago:image migrate 172.17.0.1:5000/getlago/api:v1.50.0
lago:restart migrate "no"
lago:img sha256:13ce 172.17.0.1:5000/getlago/front:v1.50.0
lago:noimg 172.17.0.1:5000/getlago/api:v1.50.0
`;

export const probeCases: ProbeCase[] = [
  {
    name: "compose v2: containers (one-off `run` containers left out), hashes, services, images",
    args,
    output: { stdout: V2_OUTPUT },
    facts: {
      cli: "docker compose",
      containers: [
        {
          id: "841315aa48d0",
          name: "lago-front-1",
          service: "front",
          hash: hash("front"),
          state: "running",
          status: "Up 9 minutes",
          image: "sha256:13ce",
        },
        {
          id: "ff8cb3085201",
          name: "lago-migrate-1",
          service: "migrate",
          hash: hash("migrate"),
          state: "exited",
          status: "Exited (0) 9 minutes ago",
          image: "sha256:aa",
        },
      ],
      hashes: { front: hash("front"), migrate: hash("migrate") },
      services: [
        { name: "front", image: `${REG}getlago/front:v1.50.0`, restart: "unless-stopped", dependsOn: [] },
        { name: "migrate", image: API, restart: "no", dependsOn: ["db"] },
      ],
      images: { [`${REG}getlago/front:v1.50.0`]: "sha256:13ce", [API]: null },
    },
  },
  {
    name: "compose v1 (no image label, restart quoted 'no' or absent)",
    args,
    output: {
      stdout: `lago:cli docker-compose\nlago:ctr 27b6\tlago_migrate_1\tmigrate\t${
        hash("migrate")
      }\texited\tExited (0) 2 minutes ago\tFalse\t\nlago:hash migrate ${
        hash("migrate")
      }\nlago:svc migrate\nlago:image migrate ${API}\nlago:restart migrate 'no'\nlago:svc pdf\nlago:image pdf x:8\n`,
    },
    facts: {
      cli: "docker-compose",
      containers: [{
        id: "27b6",
        name: "lago_migrate_1",
        service: "migrate",
        hash: hash("migrate"),
        state: "exited",
        status: "Exited (0) 2 minutes ago",
        image: "",
      }],
      hashes: { migrate: hash("migrate") },
      services: [
        { name: "migrate", image: API, restart: "no", dependsOn: [] },
        { name: "pdf", image: "x:8", restart: "no", dependsOn: [] },
      ],
      images: {},
    },
  },
  {
    name: "no compose CLI: the containers are still listed",
    args,
    output: { stdout: "lago:nocompose\nlago:ctr \n" },
    facts: { cli: null, containers: [], hashes: {}, services: [], images: {} },
  },
  {
    name: "docker does not answer",
    args,
    output: {
      stdout:
        "lago:cli docker-compose\nlago:nodocker\nCannot connect to the Docker daemon at unix:///var/run/docker.sock\n",
    },
    facts: {
      cli: "docker-compose",
      dockerError: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
      containers: [],
      hashes: {},
      services: [],
      images: {},
    },
  },
  {
    name: "project directory missing",
    args,
    output: { stdout: "lago:cli docker compose\nlago:ctr \nlago:nodir\n" },
    facts: {
      cli: "docker compose",
      missing: { path: "", what: "directory" },
      containers: [],
      hashes: {},
      services: [],
      images: {},
    },
  },
  {
    name: "env file missing",
    args,
    output: { stdout: "lago:cli docker compose\nlago:ctr \nlago:nofile lago.env\n" },
    facts: {
      cli: "docker compose",
      missing: { path: "lago.env", what: "file" },
      containers: [],
      hashes: {},
      services: [],
      images: {},
    },
  },
  {
    name: "config fails: compose's last lines",
    args,
    output: {
      stdout:
        "lago:cli docker compose\nlago:ctr \nlago:configfailed\nyaml: line 3: mapping values are not allowed\n",
    },
    facts: {
      cli: "docker compose",
      configError: "yaml: line 3: mapping values are not allowed",
      containers: [],
      hashes: {},
      services: [],
      images: {},
    },
  },
  {
    name: "env_template extras: env line hashes and the variables each service reads",
    args,
    output: {
      stdout:
        `lago:cli docker compose\nlago:envhash DATABASE_POOL ${
          "1".repeat(64)
        }\nlago:ref api DATABASE_POOL\n` +
        `lago:ref api DATABASE_POOL\nlago:ref front SENTRY_DSN_FRONT\n`,
    },
    facts: {
      cli: "docker compose",
      containers: [],
      hashes: {},
      services: [],
      images: {},
      envHashes: { DATABASE_POOL: "1".repeat(64) },
      refs: { api: ["DATABASE_POOL"], front: ["SENTRY_DSN_FRONT"] },
    },
  },
];
