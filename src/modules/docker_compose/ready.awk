# docker_compose wait: reads `service<TAB>state<TAB>status` lines; prints 1 when every service of `run`
# runs (healthy if it has a healthcheck) and every one-shot of `once` exited 0, 0 while not yet, and
# `failed SERVICE STATUS` when a one-shot failed.
BEGIN {n = split(run, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1
  m = split(once, o, " "); for (i = 1; i <= m; i++) done[o[i]] = 1}
$1 in want && $2 == "running" && $3 !~ /health: starting|unhealthy/ {ok[$1] = 1}
$1 in done && $3 ~ /^Exited \(0\)/ {ok[$1] = 1}
$1 in done && $3 ~ /^Exited \([1-9]/ {print "failed " $1 " " $3; bad = 1}
END {if (bad) exit; for (s in want) if (!(s in ok)) {print 0; exit}
  for (s in done) if (!(s in ok)) {print 0; exit}; print 1}
