/**
 * Shell (POSIX sh: dash, busybox ash, bash) that turns `$DATABASE_URL` into what libpq needs without the
 * password in any argument vector: `u` is the URL without its password (user, host, port, database and
 * parameters stay: they are not secret), and `PGPASSWORD` (exported, percent-decoded) carries the
 * password, which libpq reads from the environment. A process's environment is readable by its owner
 * and root only; its arguments by everyone (/proc/PID/cmdline, ps, a sudo log line).
 *
 * Only shell builtins touch the password (printf is one in every shell named above), so no process is
 * started with it as an argument on the way either.
 */

/** `pct_decode STRING`: STRING with each %HH replaced by its byte, on stdout. */
const PCT_DECODE = `pct_decode() {
  s=$1
  while [ -n "$s" ]; do
    case $s in
      %[0-9A-Fa-f][0-9A-Fa-f]*) h=\${s#%}; s=\${h#??}; h=\${h%"$s"}; printf "\\\\$(printf %o "0x$h")" ;;
      *) r=\${s#?}; printf '%s' "\${s%"$r"}"; s=$r ;;
    esac
  done
}`;

/**
 * Sets `u` from `$DATABASE_URL` (or leaves it whole when it holds no password) and exports PGPASSWORD.
 * The password ends at the last `@` before the path: a raw `@` in it (not percent-encoded) still parses
 * as libpq would read it.
 */
export const LIBPQ_URL_TO_ENV = `${PCT_DECODE}
u=$DATABASE_URL
case $u in
  *://*)
    rest=\${u#*://}; auth=\${rest%%[/?]*}
    case $auth in
      *@*)
        info=\${auth%@*}
        case $info in
          *:*)
            PGPASSWORD=$(pct_decode "\${info#*:}"; printf x); PGPASSWORD=\${PGPASSWORD%x}; export PGPASSWORD
            u="\${u%%://*}://\${info%%:*}@\${rest#"$info"@}" ;;
        esac ;;
    esac ;;
esac`;
