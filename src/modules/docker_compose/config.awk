# docker_compose probe: services, images, restart policies and dependencies out of `config` (no values:
# no secrets); with -v refs=1, out of `config --no-interpolate`, only the variables each service reads.
# Compose v1 writes repeated blocks as YAML anchors (`depends_on: &id001`, later `*id001`): replayed.
function emit(kind, value) {
  if (refs == (kind == "ref")) print "lago:" kind " " svc " " value
  if (anchor != "") A[anchor] = A[anchor] kind " " value "\n"
}
/^services:/ {s=1; next}
/^[^ ]/ {s=0}
!s {next}
/^  [^ ]/ {svc=$1; sub(/:$/, "", svc); gsub(/"/, "", svc); if (!refs) print "lago:svc " svc; d=0; anchor=""; next}
/^    [^ ]/ {
  d=0; anchor=""
  if (match($0, /: &[A-Za-z0-9_]+$/)) {anchor = substr($0, RSTART + 3); A[anchor] = ""}
  else if (match($0, /: [*][A-Za-z0-9_]+$/)) {
    n = split(A[substr($0, RSTART + 3)], R, "\n")
    for (i = 1; i < n; i++) {split(R[i], kv, " "); emit(kv[1], kv[2])}
  }
}
/^    image:/ {v=$0; sub(/^    image: */, "", v); emit("image", v); next}
/^    restart:/ {v=$0; sub(/^    restart: */, "", v); emit("restart", v); next}
/^    depends_on:/ {d=1; next}
d && /^      [^ -]/ {v=$1; sub(/:$/, "", v); gsub(/"/, "", v); emit("dep", v)}
d && /^      - / {v=$2; gsub(/"/, "", v); emit("dep", v)}
refs {
  line=$0; gsub(/[$][$]/, "", line)
  while (match(line, /[$][{]?[A-Za-z_][A-Za-z0-9_]*/)) {
    v = substr(line, RSTART + 1, RLENGTH - 1); sub(/^[{]/, "", v); emit("ref", v)
    line = substr(line, RSTART + RLENGTH)
  }
}
