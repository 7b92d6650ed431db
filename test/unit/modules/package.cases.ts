import type { ModuleCase, ProbeCase } from "./cases.ts";

const ii = (version: string) => ({ status: "installed", version });
const UPDATE = "DEBIAN_FRONTEND=noninteractive apt-get update -o DPkg::Lock::Timeout=120";
const INSTALL = "DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=120 " +
  "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold";
const REMOVE = "DEBIAN_FRONTEND=noninteractive apt-get remove -y -o DPkg::Lock::Timeout=120";

export const planCases: ModuleCase[] = [
  {
    name: "installs only the missing ones, after one index refresh",
    args: { name: ["jq", "openssl", "curl"] },
    facts: { packages: { openssl: ii("3.0.15-1~deb12u1"), curl: ii("7.88.1-10+deb12u8") } },
    expect: {
      changed: true,
      reason: "would install jq (1 package); the package index is refreshed first",
      steps: [UPDATE, `${INSTALL} --no-install-recommends jq`],
      diffs: [{
        target: "packages",
        before: "openssl 3.0.15-1~deb12u1\ncurl 7.88.1-10+deb12u8\n",
        after: "jq (new)\nopenssl 3.0.15-1~deb12u1\ncurl 7.88.1-10+deb12u8\n",
      }],
    },
  },
  {
    name: "no-op when all are installed: no index refresh either",
    args: { name: ["jq", "openssl"], state: "present" },
    facts: { packages: { jq: ii("1.6-2.1"), openssl: ii("3.0.15-1~deb12u1") } },
    expect: { changed: false, reason: "jq, openssl are already installed", steps: [] },
  },
  {
    name: "the refresh step is deduped per host per run",
    args: { name: "nginx" },
    facts: { packages: {} },
    expect: { changed: true, steps: [UPDATE, `${INSTALL} --no-install-recommends nginx`] },
  },
  {
    name: "install_recommends drops --no-install-recommends",
    args: { name: "nginx", install_recommends: true },
    facts: { packages: {} },
    expect: { changed: true, steps: [UPDATE, `${INSTALL} nginx`] },
  },
  {
    name: "update_cache: false never refreshes",
    args: { name: "nginx", update_cache: false },
    facts: { packages: {} },
    expect: { changed: true, steps: [`${INSTALL} --no-install-recommends nginx`] },
  },
  {
    name: "update_cache: true refreshes even when nothing is installed (not a change)",
    args: { name: "nginx", update_cache: true },
    facts: { packages: { nginx: ii("1.22.1-9") } },
    expect: {
      changed: false,
      reason: "nginx is already installed; would refresh the package index",
      steps: [UPDATE],
    },
  },
  {
    name: "update_cache without name only refreshes the index (Ansible's apt: update_cache alone)",
    args: { update_cache: true },
    facts: { packages: {} },
    expect: { changed: false, reason: "would refresh the package index", steps: [UPDATE] },
  },
  {
    name: "cache_valid_time without name: a fresh index is left alone",
    args: { cache_valid_time: 3600 },
    facts: { packages: {}, cacheAge: 10 },
    expect: { changed: false, reason: "the package index is 10s old: not refreshed", steps: [] },
  },
  {
    name: "cache_valid_time: a fresh index is not refreshed",
    args: { name: "nginx", cache_valid_time: 3600 },
    facts: { packages: {}, cacheAge: 120 },
    expect: { changed: true, steps: [`${INSTALL} --no-install-recommends nginx`] },
  },
  {
    name: "cache_valid_time: a stale index is refreshed even with nothing to install",
    args: { name: "nginx", cache_valid_time: 3600 },
    facts: { packages: { nginx: ii("1.22.1-9") }, cacheAge: 86400 },
    expect: { changed: false, steps: [UPDATE] },
  },
  {
    name: "cache_valid_time: fresh and nothing to do",
    args: { name: "nginx", cache_valid_time: 3600 },
    facts: { packages: { nginx: ii("1.22.1-9") }, cacheAge: 10 },
    expect: { changed: false, reason: "nginx is already installed (index is 10s old)", steps: [] },
  },
  {
    name: "a package left with only its config files counts as missing",
    args: { name: "nginx" },
    facts: { packages: { nginx: { status: "config-files", version: "1.22.1-9" } } },
    expect: { changed: true, reason: "would install nginx" },
  },
  {
    name: "a half-installed package is installed again",
    args: { name: "nginx" },
    facts: { packages: { nginx: { status: "broken", version: "1.22.1-9" } } },
    expect: { changed: true, reason: "would install nginx" },
  },
  {
    name: "a pinned version that differs is installed (downgrades allowed)",
    args: { name: "docker.io=20.10.24+dfsg1-1+b3" },
    facts: { packages: { "docker.io": ii("26.1.5+dfsg1-4") } },
    expect: {
      changed: true,
      steps: [UPDATE, `${INSTALL} --allow-downgrades --no-install-recommends docker.io=20.10.24+dfsg1-1+b3`],
      diffs: [{ before: "docker.io 26.1.5+dfsg1-4\n", after: "docker.io 20.10.24+dfsg1-1+b3\n" }],
    },
  },
  {
    name: "a pinned version that matches is a no-op",
    args: { name: "docker.io=20.10.24+dfsg1-1+b3" },
    facts: { packages: { "docker.io": ii("20.10.24+dfsg1-1+b3") } },
    expect: { changed: false, steps: [] },
  },
  {
    name: "latest: upgrades what is behind the candidate",
    args: { name: ["bash", "curl"], state: "latest", update_cache: false },
    facts: {
      packages: { bash: ii("5.2.15-2+b8"), curl: ii("7.88.1-10+deb12u8") },
      candidates: { bash: "5.2.15-2+b13", curl: "7.88.1-10+deb12u8" },
    },
    expect: {
      changed: true,
      reason: "would install bash",
      steps: [`${INSTALL} --no-install-recommends bash`],
      diffs: [{
        before: "bash 5.2.15-2+b8\ncurl 7.88.1-10+deb12u8\n",
        after: "bash 5.2.15-2+b13\ncurl 7.88.1-10+deb12u8\n",
      }],
    },
  },
  {
    name: "latest: no-op at the candidate without a refresh",
    args: { name: "curl", state: "latest", update_cache: false },
    facts: { packages: { curl: ii("7.88.1-10+deb12u8") }, candidates: { curl: "7.88.1-10+deb12u8" } },
    expect: {
      changed: false,
      reason: "curl is at the newest version in the host's package index",
      steps: [],
    },
  },
  {
    name: "latest after a refresh: installs again, apt tells whether it upgraded",
    args: { name: "curl", state: "latest", update_cache: true },
    facts: { packages: { curl: ii("7.88.1-10+deb12u8") }, candidates: { curl: "7.88.1-10+deb12u8" } },
    expect: {
      changed: false,
      reason: "any newer version found then is installed",
      steps: [UPDATE, `${INSTALL} --no-install-recommends curl`],
    },
  },
  {
    name: "latest: a package no source has is left as it is",
    args: { name: "local-tool", state: "latest", update_cache: false },
    facts: { packages: { "local-tool": ii("1.0") }, candidates: { "local-tool": "(none)" } },
    expect: { changed: false, steps: [] },
  },
  {
    name: "absent: removes the installed ones only, no refresh",
    args: { name: ["apache2", "nginx"], state: "absent" },
    facts: { packages: { apache2: ii("2.4.62-1~deb12u2") } },
    expect: {
      changed: true,
      reason: "would remove apache2 (1 package)",
      steps: [`${REMOVE} apache2`],
      diffs: [{ target: "packages", before: "apache2 2.4.62-1~deb12u2\n", after: "" }],
    },
  },
  {
    name: "absent: no-op when none is installed",
    args: { name: "apache2", state: "absent" },
    facts: { packages: { apache2: { status: "config-files", version: "2.4.62-1~deb12u2" } } },
    expect: { changed: false, reason: "apache2 is not installed", steps: [] },
  },
  {
    name: "absent with purge: also purges leftover config files",
    args: { name: "apache2", state: "absent", purge: true },
    facts: { packages: { apache2: { status: "config-files", version: "2.4.62-1~deb12u2" } } },
    expect: { changed: true, reason: "would purge apache2", steps: [`${REMOVE} --purge apache2`] },
  },
  {
    name: "arch-qualified names match dpkg's plain names",
    args: { name: "libc6:i386" },
    facts: { packages: { libc6: ii("2.36-9+deb12u9") } },
    expect: { changed: false, steps: [] },
  },
  {
    name: "error: unknown key",
    args: { name: "jq", force: true },
    expect: { error: 'Unrecognized key: "force"' },
  },
  { name: "error: unknown state", args: { name: "jq", state: "installed" }, expect: { error: "state:" } },
  {
    name: "error: name looks like an option",
    args: { name: "-o=foo" },
    expect: { error: "should be a Debian package name" },
  },
  { name: "error: empty list", args: { name: [] }, expect: { error: "name" } },
  {
    name: "error: no name and no refresh",
    args: { state: "present" },
    expect: { error: "name is required" },
  },
  { name: "error: a name with a space", args: { name: ["jq curl"] }, expect: { error: "name" } },
  {
    name: "error: latest with a pinned version",
    args: { name: "jq=1.6", state: "latest" },
    expect: { error: "state: latest takes names without =version" },
  },
  {
    name: "error: cache_valid_time as text",
    args: { name: "jq", cache_valid_time: "1h" },
    expect: { error: "cache_valid_time" },
  },
  {
    name: "error: update_cache as text",
    args: { name: "jq", update_cache: "yes" },
    expect: { error: "update_cache" },
  },
];

const DPKG = "dpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n'";

export const probeCases: ProbeCase[] = [
  {
    name: "present: dpkg-query only; packages it does not know do not fail the probe",
    args: { name: ["jq", "openssl", "nginx=1.22.1-9"] },
    command: `${DPKG} jq openssl nginx || [ $? -eq 1 ]`,
    output: {
      stdout: "openssl\tii \t3.0.15-1~deb12u1\nnginx\trc \t1.22.1-9\n",
      stderr: "dpkg-query: no packages found matching jq\n",
    },
    facts: {
      packages: {
        openssl: { status: "installed", version: "3.0.15-1~deb12u1" },
        nginx: { status: "config-files", version: "1.22.1-9" },
      },
    },
  },
  {
    name: "latest: apt-cache policy in the same round trip",
    args: { name: ["bash", "nosuch"], state: "latest" },
    command:
      `${DPKG} bash nosuch || [ $? -eq 1 ] && echo lago:policy && LC_ALL=C apt-cache policy bash nosuch`,
    output: {
      stdout:
        "bash\tii \t5.2.15-2+b8\nlago:policy\nbash:\n  Installed: 5.2.15-2+b8\n  Candidate: 5.2.15-2+b13\n" +
        "  Version table:\n     5.2.15-2+b13 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n" +
        " *** 5.2.15-2+b8 100\n        100 /var/lib/dpkg/status\n",
    },
    facts: {
      packages: { bash: { status: "installed", version: "5.2.15-2+b8" } },
      candidates: { bash: "5.2.15-2+b13" },
    },
  },
  {
    name: "cache_valid_time: index age from the newest stamp and the host clock",
    args: { name: "jq", cache_valid_time: 3600 },
    command: `${DPKG} jq || [ $? -eq 1 ] && echo lago:cache && { stat -c 'mtime %Y' ` +
      "/var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists 2>/dev/null || true; } && date '+now %s'",
    output: { stdout: "jq\tii \t1.6-2.1\nlago:cache\nmtime 1700000000\nnow 1700000500\n" },
    facts: { packages: { jq: { status: "installed", version: "1.6-2.1" } }, cacheAge: 500 },
  },
  {
    name: "cache_valid_time without name: no dpkg-query (it would list every package), only the age",
    args: { cache_valid_time: 3600 },
    command: "true && echo lago:cache && { stat -c 'mtime %Y' " +
      "/var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists 2>/dev/null || true; } && date '+now %s'",
    output: { stdout: "lago:cache\nmtime 1700000000\nnow 1700000500\n" },
    facts: { packages: {}, cacheAge: 500 },
  },
  {
    name: "cache_valid_time: never refreshed (no stamps): age unknown",
    args: { name: "jq", cache_valid_time: 3600 },
    output: { stdout: "lago:cache\nnow 1700000500\n" },
    facts: { packages: {} },
  },
  {
    name: "half-installed and unpacked states are not installed",
    args: { name: ["a", "b", "c"] },
    output: { stdout: "a\tiU \t1\nb\tiF \t2\nc\tiW \t3\n" },
    facts: {
      packages: {
        a: { status: "broken", version: "1" },
        b: { status: "broken", version: "2" },
        c: { status: "installed", version: "3" },
      },
    },
  },
];
