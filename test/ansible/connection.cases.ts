/**
 * Where and how a host is reached, from its inventory variables and the OpenSSH configuration, compared
 * with what Ansible's ssh connection passes to ssh (ansible-core 2.14) and what OpenSSH then resolves
 * (`ssh -G`): host name, port, user, key, jump host, known_hosts file, host key checking. Expected
 * values: connection.expected.json (test/ansible/generate.ts). `refuse`: lago-provision refuses what
 * it cannot honour, with this message, where Ansible would go on.
 */
import { createHash } from "node:crypto";

/** What Ansible is given for a case: a changed case must be regenerated (the table records it). */
export function connectionHash(c: ConnectionCase): string {
  return createHash("sha256").update(JSON.stringify([c.inventory, c.sshConfig ?? null, c.target ?? null]))
    .digest("hex").slice(0, 16);
}

export interface ConnectionCase {
  name: string;
  /** An INI inventory (the case's host is `target`). */
  inventory: string;
  /** The OpenSSH client configuration (given with -F to both). */
  sshConfig?: string;
  /** The inventory host to resolve (default: the first word of the inventory). */
  target?: string;
  refuse?: RegExp;
  warns?: RegExp;
}

export const connectionCases: ConnectionCase[] = [
  { name: "defaults", inventory: "h1\n" },
  {
    name: "inventory-variables",
    inventory:
      "h1 ansible_host=10.0.0.1 ansible_port=2222 ansible_user=deploy ansible_ssh_private_key_file=~/.ssh/deploy\n",
  },
  {
    name: "old-variable-names",
    inventory:
      "h1 ansible_ssh_host=10.0.0.2 ansible_ssh_port=2200 ansible_ssh_user=admin ansible_private_key_file=/keys/a\n",
  },
  {
    name: "two-names-for-one-setting",
    inventory:
      "h1 ansible_host=first ansible_ssh_host=second ansible_port=1111 ansible_ssh_port=2222 ansible_user=u1 ansible_ssh_user=u2\n",
  },
  {
    name: "port-as-text",
    inventory: "h1 ansible_port=\"'2222'\"\n",
  },
  {
    name: "ssh-config-host-section",
    inventory: "web1\n",
    sshConfig: "Host web*\n  HostName %h.lan\n  User deploy\n  Port 2222\n  IdentityFile ~/.ssh/web_key\n",
  },
  {
    name: "inventory-wins-over-ssh-config",
    inventory: "web1 ansible_user=admin ansible_port=22\n",
    sshConfig: "Host web1\n  User deploy\n  Port 2222\n  HostName 10.1.1.1\n",
  },
  {
    name: "first-value-wins",
    inventory: "web1\n",
    sshConfig:
      "Host web1\n  User first\nHost web*\n  User second\n  Port 2201\nHost *\n  Port 2202\n  User third\n",
  },
  {
    name: "negated-pattern",
    inventory: "db1\n",
    sshConfig: "Host * !db*\n  User everyone\nHost db?\n  User dba\n",
  },
  {
    name: "ssh-config-matches-ansible-host",
    inventory: "web1 ansible_host=app.example.com\n",
    sshConfig: "Host web1\n  User by-inventory-name\nHost *.example.com\n  User by-address\n  Port 2022\n",
  },
  {
    name: "match-blocks",
    inventory: "web1\n",
    sshConfig:
      "Host web1\n  HostName internal.lan\nMatch host internal.lan\n  User matched\nMatch originalhost web1\n  Port 2023\n",
  },
  {
    name: "proxyjump-in-config",
    inventory: "web1 ansible_host=10.0.0.5\n",
    sshConfig: "Host 10.0.*\n  ProxyJump jump@bastion.example.com:2200\n",
  },
  {
    name: "jump-in-common-args",
    inventory: "web1 ansible_host=10.0.0.5 ansible_ssh_common_args='-J ops@bastion'\n",
  },
  {
    name: "proxycommand-relay",
    inventory:
      "web1 ansible_host=10.0.0.5 ansible_ssh_common_args='-o ProxyCommand=\"ssh -W %h:%p -q jump@bastion\"'\n",
  },
  {
    name: "common-args-options",
    inventory:
      "web1 ansible_ssh_common_args='-o User=from-args -o Port=2300 -o UserKnownHostsFile=~/.ssh/kh_web -o ConnectTimeout=7'\n",
  },
  {
    name: "inventory-wins-over-common-args",
    inventory: "web1 ansible_user=inventory-user ansible_ssh_common_args='-o User=from-args -p 2400'\n",
  },
  {
    name: "common-args-win-over-extra-args",
    inventory:
      "web1 ansible_ssh_common_args='-o Port=2500' ansible_ssh_extra_args='-o Port=2600 -l extra-user'\n",
  },
  {
    name: "accept-new-in-config",
    inventory: "web1\n",
    sshConfig:
      "Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/.ssh/known_hosts.lab ~/.ssh/other\n",
  },
  {
    name: "host-key-checking-off",
    inventory: "web1 ansible_ssh_common_args='-o StrictHostKeyChecking=no'\n",
    warns:
      /StrictHostKeyChecking no is taken as accept-new: an unknown host key is recorded, a changed one is still refused/,
  },
  {
    name: "refuse-become-method",
    inventory: "web1 ansible_become_method=su\n",
    refuse:
      /hosts:1:\d+ ansible_become_method: should be sudo: lago-provision becomes another user with sudo -n/,
  },
  {
    name: "refuse-unknown-ssh-option",
    inventory: "web1 ansible_ssh_extra_args='-R 8080:localhost:80'\n",
    refuse: /ansible_ssh_extra_args: the ssh option '-R' is not supported/,
  },
  {
    name: "refuse-connection-type",
    inventory: "web1 ansible_connection=docker\n",
    refuse: /hosts:1:\d+ ansible_connection: should be ssh or local: lago-provision connects over SSH/,
  },
  {
    name: "refuse-known-hosts-dev-null",
    inventory: "web1 ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null'\n",
    refuse: /UserKnownHostsFile \/dev\/null would hide a host whose key changed/,
  },
  {
    name: "refuse-proxycommand",
    inventory: "web1\n",
    sshConfig: "Host web1\n  ProxyCommand /usr/local/bin/connect-via-vpn %h %p\n",
    refuse: /host 'web1': its ProxyCommand is not supported: only a relay through a jump host/,
  },
];
