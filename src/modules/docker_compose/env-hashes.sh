# docker_compose probe: each `NAME=...` line of a file (named after the trailing `<`) as
# `lago:envhash NAME SHA256`; values stay in the shell (printf is built in).
while IFS= read -r line || [ -n "$line" ]; do case $line in [A-Za-z_]*=*)
  name=${line%%=*}; case $name in *[!A-Za-z0-9_]*) ;; *)
  printf 'lago:envhash %s %s\n' "$name" "$(printf '%s' "$line" | sha256sum | cut -c1-64)";; esac;; esac; done <
