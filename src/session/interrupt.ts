/**
 * Ctrl-C (SIGINT) and SIGTERM during a run that changes hosts: the first one stops the run from
 * starting anything new (tasks, hosts, handlers); what is running finishes, on each host, so no step is
 * left half done; the command then releases the fleet lock, prints the recap so far and exits 128 +
 * the signal's number (130, 143). A second signal ends the process at once: each host still finishes
 * or discards the step it was running by itself (see docs/architecture.md, "What a cut-off leaves"),
 * and a lock left behind is stale as soon as this process is gone.
 */
import { EXIT } from "../core/errors.ts";
import { exit, onStopSignals, type StopSignal, writeStderr } from "../runtime.ts";

export interface Interruption {
  /** Aborted on the first signal; the run checks it before starting anything. */
  signal: AbortSignal;
  /** 130 or 143 once a signal came, else undefined. */
  exitCode(): number | undefined;
  /** Stop listening (the signals end the process again). */
  dispose(): void;
}

export function stopOnSignals(): Interruption {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const dispose = onStopSignals((signal) => {
    if (received) exit(EXIT[received]);
    received = signal;
    writeStderr(
      `\n${signal}: finishing what is running, starting nothing new; ${
        signal === "SIGINT" ? "Ctrl-C" : "a signal"
      } again stops at once\n`,
    );
    controller.abort(signal);
  });
  return {
    signal: controller.signal,
    exitCode: () => (received ? EXIT[received] : undefined),
    dispose,
  };
}
