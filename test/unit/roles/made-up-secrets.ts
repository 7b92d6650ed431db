/** What playbooks/site.yml's lago_secrets task registers, with made-up values (only their presence matters). */
import { CORE_SECRETS, KNOWN_EXTRA_SECRETS } from "../../../src/secrets/formats.ts";

export const MADE_UP_SECRETS: Record<string, string> = Object.fromEntries(
  [...CORE_SECRETS, ...KNOWN_EXTRA_SECRETS].map((
    name,
  ) => [name, `made-up-${name.toLowerCase().replaceAll("_", "-")}`]),
);
