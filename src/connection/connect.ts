/** Open the transport a host's settings name: ssh2, or local for `ansible_connection: local`. */
import type { Connection } from "../core/types.ts";
import { LocalConnection } from "./local.ts";
import type { ConnectionSettings } from "./settings.ts";
import { connectSsh } from "./ssh.ts";

export type Connect = (settings: ConnectionSettings) => Promise<Connection>;

export const connectTo: Connect = (s) =>
  s.connection === "local" ? Promise.resolve(new LocalConnection(s.name)) : connectSsh(s);
