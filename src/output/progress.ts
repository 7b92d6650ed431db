/** Progress lines of the commands around runs (fleet commands): text, or JSON lines with --json. */
export const progress = (json: boolean, write: (text: string) => void) => (msg: string): void =>
  write(json ? JSON.stringify({ type: "fleet", msg }) + "\n" : `${msg}\n`);
