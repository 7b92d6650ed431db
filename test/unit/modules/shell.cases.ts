import type { ModuleCase } from "./cases.ts";

const BASH = `bash -c 'lago_line=$(cat <&3) && exec 3<&- && eval "$lago_line"'`;

export const planCases: ModuleCase[] = [
  {
    name: "the line reaches bash on fd 3, not as an argument",
    args: { cmd: "printf '%s' \"$PW\" | sha256sum > /tmp/x" },
    expect: {
      changed: true,
      steps: [`${BASH} 3<<'LAGO_SHELL' \nprintf '%s' "$PW" | sha256sum > /tmp/x\nLAGO_SHELL\n`],
    },
  },
  {
    name: "a line that holds the end marker gets another one",
    args: { cmd: "cat <<LAGO_SHELL\nx\nLAGO_SHELL", chdir: "/srv" },
    expect: {
      changed: true,
      steps: [`cd /srv && ${BASH} 3<<'LAGO_SHELL_1' \ncat <<LAGO_SHELL\nx\nLAGO_SHELL\nLAGO_SHELL_1\n`],
    },
  },
];
