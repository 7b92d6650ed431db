# Reads a JSON list of tasks on stdin; writes what ansible-core's task loader (ModuleArgsParser) makes
# of each: {"action", "args"} or {"error"}. Used by test/ansible/generate.ts --modules.
import json
import sys

from ansible.parsing.mod_args import ModuleArgsParser

out = []
for task in json.load(sys.stdin):
    try:
        action, args, _ = ModuleArgsParser(task).parse()
        out.append({"action": action, "args": args})
    except Exception as e:  # the loader's own error, as one line
        out.append({"error": str(e).split("\n")[0].split(", which")[0]})
json.dump(out, sys.stdout)
