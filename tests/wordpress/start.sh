#!/usr/bin/env bash
# Starts a private, throw-away WordPress on 127.0.0.1 for roundup's push tests, from Debian's
# packages (wordpress, mariadb-server, php-cli, php-mysql, php-curl, php-xml, php-mbstring):
#
#   tests/wordpress/start.sh [DIR] [--owner-pid PID]
#
# DIR (made when missing; default a new folder under $TMPDIR) holds everything: MariaDB's data
# and socket, the PHP server's router and log, the pid files, and `state.env`, the URL and
# credentials the tests read (KEY=VALUE lines, also printed on stdout):
#
#   WP_URL, WP_PLAIN_URL (the same blog as http://localhost:PORT, where /wp-json/ is a 404 page:
#   pretty permalinks off, as far as a client can tell), WP_VERSION, WP_DIR, and for each of ADMIN (administrator), EDITOR (editor),
#   AUTHOR (author: no unfiltered_html, so WordPress filters its posts through kses) and
#   SUBSCRIBER (may not write posts): WP_<ROLE>_USER, WP_<ROLE>_PASSWORD (the login's) and
#   WP_<ROLE>_APP_PASSWORD (an Application Password, for the REST API).
#
# Idempotent: when DIR/state.env exists and its WordPress answers, it is printed again and
# nothing else happens. Bounded: every wait has a deadline, and a failure stops what was
# started and exits non-zero with the reason on stderr. With --owner-pid, a watchdog stops
# everything (tests/wordpress/stop.sh DIR) once that process is gone, so a test run that dies
# leaves no server behind; it also deletes DIR when this script made it.
#
# WordPress's own config: Debian's /usr/share/wordpress/wp-config.php loads
# /etc/wordpress/config-<name>.php, where <name> is the request's host, or the server
# variable WORDPRESS_CONFIG when set. The router script sets it to `roundup-test-PORT`, so
# each instance has its own file and a real config-127.0.0.1.php is never touched; stop.sh
# removes it. WP_ENVIRONMENT_TYPE is `local`: Application Passwords then work over plain HTTP.
set -euo pipefail

die() { echo "tests/wordpress/start.sh: error: $*" >&2; exit 1; }

dir=""
owner_pid=""
while [ $# -gt 0 ]; do
  case "$1" in
    --owner-pid) owner_pid="${2:?--owner-pid needs a pid}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) [ -z "$dir" ] || die "one DIR only"; dir="$1"; shift ;;
  esac
done
here="$(cd "$(dirname "$0")" && pwd)"
made_dir=""
if [ -z "$dir" ]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/roundup-wordpress.XXXXXX")"
  made_dir="--remove"
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
state="$dir/state.env"

# Already running: print its state again.
if [ -f "$state" ]; then
  url="$(sed -n 's/^WP_URL=//p' "$state")"
  if [ -n "$url" ] && curl -fsS -m 5 -o /dev/null "$url/wp-login.php" 2>/dev/null; then
    cat "$state"
    exit 0
  fi
  "$here/stop.sh" "$dir" >/dev/null 2>&1 || true
  rm -f "$state"
fi

wp_root=/usr/share/wordpress
for tool in mariadb-install-db mariadbd mariadb php curl; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install mariadb-server php-cli curl)"
done
[ -f "$wp_root/wp-config.php" ] || die "$wp_root/wp-config.php is missing (apt-get install wordpress)"
php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' || die "PHP has no mysqli (apt-get install php-mysql)"
[ -d /etc/wordpress ] && [ -w /etc/wordpress ] || die "/etc/wordpress is not writable (run as root)"

# Everything started from here on is stopped again if this script fails.
trap '"$here/stop.sh" "$dir" >/dev/null 2>&1 || true' ERR

free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0", $e, $m) or exit(1);
          echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);'
}
# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# --- MariaDB, private to DIR -------------------------------------------------------------
db_port="$(free_port)"
sock="$dir/mariadb.sock"
rm -rf "$dir/db"
timeout 120 mariadb-install-db --user=root --datadir="$dir/db" \
  --auth-root-authentication-method=socket --skip-test-db >"$dir/mariadb-install.log" 2>&1 \
  || die "mariadb-install-db failed; see $dir/mariadb-install.log"
setsid mariadbd --no-defaults --user=root --datadir="$dir/db" --socket="$sock" \
  --bind-address=127.0.0.1 --port="$db_port" --pid-file="$dir/mariadb.pid" \
  --skip-name-resolve --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
  --log-error="$dir/mariadb.log" </dev/null >/dev/null 2>&1 &
echo $! >"$dir/mariadb.pid.launch"
wait_for 60 mariadb --no-defaults --socket="$sock" -u root -e 'SELECT 1' \
  || die "MariaDB did not start within 60 s; see $dir/mariadb.log"

db_password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
mariadb --no-defaults --socket="$sock" -u root -e "
  CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  CREATE USER 'wordpress'@'127.0.0.1' IDENTIFIED BY '$db_password';
  GRANT ALL ON wordpress.* TO 'wordpress'@'127.0.0.1';"

# --- WordPress's config and PHP's built-in server ----------------------------------------
port="$(free_port)"
url="http://127.0.0.1:$port"
name="roundup-test-$port"
config="/etc/wordpress/config-$name.php"
echo "$config" >"$dir/wp-config.path"
salt() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
cat >"$config" <<PHP
<?php
// Written by roundup's tests/wordpress/start.sh for $dir; removed by stop.sh.
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', '$db_password');
define('DB_HOST', '127.0.0.1:$db_port');
define('WP_HOME', '$url');
define('WP_SITEURL', '$url');
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_CONTENT_DIR', '$dir/wp-content');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTH_KEY', '$(salt)'); define('SECURE_AUTH_KEY', '$(salt)');
define('LOGGED_IN_KEY', '$(salt)'); define('NONCE_KEY', '$(salt)');
define('AUTH_SALT', '$(salt)'); define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)'); define('NONCE_SALT', '$(salt)');
\$table_prefix = 'wp_';
PHP
mkdir -p "$dir/wp-content"
# Themes and plugins from the package; uploads stay in DIR.
ln -sfn /var/lib/wordpress/wp-content/themes "$dir/wp-content/themes" 2>/dev/null \
  || ln -sfn "$wp_root/wp-content/themes" "$dir/wp-content/themes"
[ -e "$dir/wp-content/themes/." ] || ln -sfn "$wp_root/wp-content/themes" "$dir/wp-content/themes"
ln -sfn "$wp_root/wp-content/plugins" "$dir/wp-content/plugins" 2>/dev/null || true

# The router names this instance's config for wp-config.php; PHP's server then serves the
# request as it would without one (unknown paths go to index.php). Reached as
# http://localhost:PORT/ instead, the blog does not hand /wp-json/ to WordPress (a 404 page,
# as a server without rewrite rules), so tests can push through the ?rest_route= fallback.
cat >"$dir/router.php" <<PHP
<?php
\$_SERVER['WORDPRESS_CONFIG'] = '$name';
\$path = parse_url(\$_SERVER['REQUEST_URI'], PHP_URL_PATH) ?: '/';
if (str_starts_with(\$_SERVER['HTTP_HOST'] ?? '', 'localhost:') && str_starts_with(\$path, '/wp-json/')) {
    http_response_code(404);
    header('Content-Type: text/html; charset=UTF-8');
    echo '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>';
    return true;
}
return false;
PHP
# Several workers: tests push in parallel.
PHP_CLI_SERVER_WORKERS=4 setsid php -d memory_limit=256M -d max_execution_time=60 \
  -d display_errors=0 -d log_errors=1 -d error_log="$dir/php-errors.log" \
  -S "127.0.0.1:$port" -t "$wp_root" "$dir/router.php" </dev/null >"$dir/php-server.log" 2>&1 &
echo $! >"$dir/php.pid"
wait_for 30 curl -sS -m 5 -o /dev/null "$url/wp-includes/version.php" \
  || die "PHP's server did not answer within 30 s; see $dir/php-server.log"

# --- Install, users, Application Passwords ------------------------------------------------
admin_password="$(salt | head -c 20)"
code="$(curl -sS -m 60 -o "$dir/install.html" -w '%{http_code}' "$url/wp-admin/install.php?step=2" \
  --data-urlencode "weblog_title=roundup test blog" --data-urlencode "user_name=admin" \
  --data-urlencode "admin_password=$admin_password" --data-urlencode "admin_password2=$admin_password" \
  --data-urlencode "pw_weak=1" --data-urlencode "admin_email=admin@example.invalid" \
  --data-urlencode "blog_public=0" --data-urlencode "language=")" \
  || die "the install request failed"
[ "$code" = 200 ] || die "installing WordPress answered HTTP $code; see $dir/install.html"
grep -q 'wp-login.php' "$dir/install.html" || die "WordPress did not install; see $dir/install.html"

cat >"$dir/users.php" <<'PHP'
<?php
// php users.php CONFIG_NAME HOST ADMIN_PASSWORD: the users and their Application Passwords.
$_SERVER['WORDPRESS_CONFIG'] = $argv[1];
$_SERVER['HTTP_HOST'] = $argv[2];
$_SERVER['REQUEST_URI'] = '/';
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
$out = ['WP_VERSION' => get_bloginfo('version')];
$roles = ['ADMIN' => 'administrator', 'EDITOR' => 'editor', 'AUTHOR' => 'author', 'SUBSCRIBER' => 'subscriber'];
foreach ($roles as $key => $role) {
    $login = $key === 'ADMIN' ? 'admin' : strtolower($key);
    if ($key === 'ADMIN') {
        $password = $argv[3];
        $id = get_user_by('login', 'admin')->ID;
    } else {
        $password = wp_generate_password(20, false);
        $id = wp_insert_user(['user_login' => $login, 'user_pass' => $password, 'role' => $role,
            'user_email' => "$login@example.invalid", 'display_name' => ucfirst($login)]);
        if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); exit(1); }
    }
    $made = WP_Application_Passwords::create_new_application_password($id, ['name' => 'roundup tests']);
    if (is_wp_error($made)) { fwrite(STDERR, $made->get_error_message() . "\n"); exit(1); }
    $out["WP_{$key}_USER"] = $login;
    $out["WP_{$key}_PASSWORD"] = $password;
    $out["WP_{$key}_APP_PASSWORD"] = $made[0];
}
foreach ($out as $k => $v) { echo "$k=$v\n"; }
PHP
users="$(timeout 60 php "$dir/users.php" "$name" "127.0.0.1:$port" "$admin_password" 2>"$dir/users.log")" \
  || die "creating the users failed: $(cat "$dir/users.log")"

{
  echo "WP_URL=$url"
  echo "WP_PLAIN_URL=http://localhost:$port"
  echo "WP_DIR=$dir"
  echo "$users"
} >"$state.tmp"
chmod 600 "$state.tmp"
mv "$state.tmp" "$state"
trap - ERR

if [ -n "$owner_pid" ]; then
  # The watchdog: stops everything once the owner is gone (checked every second).
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2/state.env" ]; do sleep 1; done; "$3/stop.sh" "$2" $4' \
    watchdog "$owner_pid" "$dir" "$here" "$made_dir" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/watchdog.pid"
fi
cat "$state"
