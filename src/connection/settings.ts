/** How to reach one host: resolved from inventory variables by the config layer. */
export interface ConnectionSettings {
  /** Inventory name, used in messages. */
  name: string;
  connection: "ssh" | "local";
  host: string;
  port: number;
  user: string;
  keyFile?: string;
  /** Name of the environment variable holding the SSH password (never the password itself). */
  passwordEnv?: string;
  /** Reach this host through another one (ssh -J). */
  jump?: ConnectionSettings;
  knownHostsFile: string;
  /** strict: unknown or changed keys are refused; accept-new: unknown keys are recorded, changed refused. */
  hostKeyChecking: "strict" | "accept-new";
  connectTimeoutMs?: number;
  /** OpenSSH's ForwardAgent: the agent is offered to the host. */
  forwardAgent?: boolean;
  /** OpenSSH's IdentitiesOnly: only the key file authenticates, not every key of the agent. */
  identitiesOnly?: boolean;
  become: boolean;
  becomeUser: string;
}
