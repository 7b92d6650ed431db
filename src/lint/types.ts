/**
 * The vocabulary of `lago-provision lint`: rules (id, default severity, explanation), findings (one
 * rule broken at one place), and the `report` callback every rule family writes its findings to.
 */

export type Severity = "error" | "warning" | "info";

export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];

export interface Rule {
  /** Kebab-case name, used in output, `--explain`, suppression comments and the config file. */
  id: string;
  /** Which family (file in src/lint/) checks it. */
  family: "schema" | "variables" | "lago" | "idempotence" | "style";
  severity: Severity;
  /** False for rules that run only when the config file turns them on. */
  enabled?: boolean;
  /** One line: what is wrong (SARIF shortDescription). */
  title: string;
  /** One paragraph: why it matters and how to fix it (`--explain`, SARIF fullDescription). */
  explanation: string;
}

export interface Position {
  line: number;
  col: number;
}

export interface Finding extends Position {
  rule: string;
  severity: Severity;
  /** As shown to the user: relative to the working directory when below it. */
  file: string;
  message: string;
}

/** What a rule family calls for every problem it finds (severity and suppression are applied later). */
export type Report = (rule: string, file: string, at: Position, message: string) => void;
