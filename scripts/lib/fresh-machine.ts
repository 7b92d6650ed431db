/**
 * A fresh Debian machine for trying the README as a new user would: a testbed host image (Debian 12 or 13
 * from debootstrap, systemd, nothing else) run as a container of its own, given this machine's Node and
 * npm, and a clean copy of the repository's committed HEAD (`git archive`, so nothing built or cached
 * comes along). Docker inside it keeps its storage on a volume, not the testbed's tmpfs: the demo builds
 * gigabytes of images in there.
 */
import { join } from "node:path";
import process from "node:process";
import { $ } from "zx";
import { SYSTEMD_RUN_FLAGS, waitSystemReady } from "./testbed-hosts.ts";
import { ensureImages } from "./testbed-image.ts";
import { type Codename, hostPrefix, imageName, repoRoot } from "./testbed-paths.ts";

const LABEL = "lago.fresh-machine";
/** Where the repository lands inside the machine. */
export const CHECKOUT = "/root/lago-provision";

export const machineName = (codename: Codename): string => `${hostPrefix()}fresh-${codename}`;
const volumeName = (name: string): string => `${name}-docker`;

export interface ReadmeCommands {
  demo: string;
  test: string;
}

/**
 * The two commands a new user copies from the README: the line of the "Try it" section's first `sh`
 * block that runs `npm run demo`, and the first line of the "Test" section's first block (comments cut).
 */
export function readmeCommands(readme: string): ReadmeCommands {
  const block = (heading: string): string[] => {
    const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
    const body = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
    if (!body) throw new Error(`README.md: no \`\`\`sh block under "## ${heading}"`);
    return body.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
  };
  const demo = block("Try it").find((l) => l.includes("npm run demo"));
  if (!demo) throw new Error('README.md: no `npm run demo` command under "## Try it"');
  return { demo, test: block("Test")[0] };
}

/** Removes the machine and its docker volume, if they exist. */
export async function removeMachine(name: string): Promise<void> {
  await $`docker rm -f -v ${name}`.quiet().nothrow();
  await $`docker volume rm ${volumeName(name)}`.quiet().nothrow();
}

/** Machines this clone's prefix made, running or not. */
export async function listMachines(): Promise<string[]> {
  const r = await $`docker ps -a --filter ${`label=${LABEL}`} --format {{.Names}}`.quiet();
  return r.stdout.split("\n").filter((n) => n.startsWith(hostPrefix()));
}

/**
 * A pristine machine (any earlier one of the same name is removed) with Node and npm copied from this
 * machine and the repository's HEAD in CHECKOUT. Returns the node version inside.
 */
export async function freshMachine(name: string, codename: Codename): Promise<string> {
  await ensureImages([codename]);
  await removeMachine(name);
  await $`docker run -d --name ${name} --hostname ${name} --label ${LABEL} ${SYSTEMD_RUN_FLAGS} -v ${`${
    volumeName(name)
  }:/var/lib/docker`} ${imageName(codename)}`.quiet();
  await waitSystemReady(name);

  // "Node 20 and npm present": the same binary and npm this machine runs, as a user would have installed.
  const node = (await $`command -v node`.quiet()).stdout.trim();
  const npmDir = join((await $`npm root -g`.quiet()).stdout.trim(), "npm");
  await $`docker cp -L ${node} ${`${name}:/usr/local/bin/node`}`.quiet();
  await $`docker exec ${name} mkdir -p /usr/local/lib/node_modules ${CHECKOUT}`.quiet();
  await $`docker cp ${npmDir} ${`${name}:/usr/local/lib/node_modules/npm`}`.quiet();
  await $`docker exec ${name} ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm`.quiet();
  await $`docker exec ${name} ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx`.quiet();

  const ca = caBundle();
  if (ca) await $`docker cp -L ${ca} ${`${name}:${CA_INSIDE}`}`.quiet();

  await $`git -C ${repoRoot} archive --format=tar HEAD | docker exec -i ${name} tar -x -C ${CHECKOUT}`
    .quiet();
  return (await $`docker exec ${name} node --version`.quiet()).stdout.trim();
}

/**
 * The extra CA bundle this machine's Node trusts (NODE_EXTRA_CA_CERTS): set where a TLS-intercepting proxy
 * stands between this machine and the npm registry. Not part of a fresh machine, but of the network it
 * is on: passed on, or `npm install` inside could not reach the registry at all.
 */
const caBundle = (): string | undefined => process.env.NODE_EXTRA_CA_CERTS || undefined;
const CA_INSIDE = "/usr/local/share/fresh-machine-network-ca.crt";

/** `docker exec` flags for a command run in the machine: the network's CA bundle, if there is one. */
export const execEnv = (): string[] =>
  caBundle() ? ["-e", `NODE_EXTRA_CA_CERTS=${CA_INSIDE}`, "-e", `npm_config_cafile=${CA_INSIDE}`] : [];

/** Whether the repository has changes `git archive HEAD` leaves out. */
export async function uncommitted(): Promise<boolean> {
  return (await $`git -C ${repoRoot} status --porcelain --untracked-files=no`.quiet()).stdout.trim() !== "";
}
