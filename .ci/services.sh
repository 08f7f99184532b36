# shellcheck shell=bash
# Service helpers for .ci/run: make sure the local MariaDB and Redis that the
# tests use are installed, running and reachable on 127.0.0.1. Sourced, not
# run; it only defines functions. Every helper either succeeds or exits via
# fatal() with a message that says what went wrong.
#
# Overridable (for trying the helpers against a throwaway server; CI sets
# none): CI_MARIADB_PORT (3306), CI_MARIADB_SOCKET (the client's default),
# CI_MARIADB_WAIT (60 s), CI_REDIS_PORT (6379), CI_REDIS_WAIT (30 s).

ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s == %s\n' "$(ts)" "$*"; }
note() { printf '%s    %s\n' "$(ts)" "$*"; }
fatal() {
	echo "FATAL: $*" >&2
	exit 1
}

export DEBIAN_FRONTEND=noninteractive

_ci_apt_updated=0
# apt_install PKG...: install Debian packages without prompts, running
# `apt-get update` at most once per run.
apt_install() {
	if [ "$_ci_apt_updated" = 0 ]; then
		note "apt-get update"
		apt-get update -q </dev/null || fatal "apt-get update failed"
		_ci_apt_updated=1
	fi
	note "apt-get install -y $*"
	apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"$@" </dev/null || fatal "apt-get install $* failed"
}

# ---------------------------------------------------------------- MariaDB ---

MARIADB_PORT=${CI_MARIADB_PORT:-3306}
MARIADB_TCP=(mariadb -uroot -h127.0.0.1 -P"$MARIADB_PORT" --protocol=tcp --connect-timeout=3 --batch --skip-column-names)
MARIADB_SOCK=(mariadb -uroot --protocol=socket ${CI_MARIADB_SOCKET:+--socket="$CI_MARIADB_SOCKET"} --connect-timeout=3 --batch --skip-column-names)

# mariadb_tcp_ok: root with an empty password gets in over TCP.
mariadb_tcp_ok() { "${MARIADB_TCP[@]}" -e 'select 1' </dev/null >/dev/null 2>&1; }

# mariadb_alive: a server answers on TCP or on the socket, even if it refuses
# root ("Access denied" means it is up).
mariadb_alive() {
	local out
	if out=$("${MARIADB_TCP[@]}" -e 'select 1' </dev/null 2>&1); then return 0; fi
	case $out in *"Access denied"*) return 0 ;; esac
	if out=$("${MARIADB_SOCK[@]}" -e 'select 1' </dev/null 2>&1); then return 0; fi
	case $out in *"Access denied"*) return 0 ;; esac
	return 1
}

mariadb_log_tail() {
	local f
	for f in /var/log/mysql/error.log /var/lib/mysql/"$(hostname)".err /var/log/mysql.err; do
		if [ -s "$f" ]; then
			echo "--- last lines of $f ---" >&2
			tail -n 30 "$f" >&2 || true
		fi
	done
}

# start_mariadb: start the server the way the machine's image does.
start_mariadb() {
	mkdir -p /run/mysqld
	chown mysql:mysql /run/mysqld 2>/dev/null || fatal "cannot chown /run/mysqld to mysql (is there a mysql user?)"
	# A data directory without the system tables (never initialised) would
	# make mariadbd exit at once.
	if [ ! -d /var/lib/mysql/mysql ]; then
		note "initialising /var/lib/mysql"
		local installdb
		installdb=$(command -v mariadb-install-db || command -v mysql_install_db || true)
		[ -n "$installdb" ] || fatal "/var/lib/mysql has no system tables and no mariadb-install-db to create them"
		"$installdb" --user=mysql --datadir=/var/lib/mysql </dev/null >/dev/null ||
			fatal "$installdb failed"
	fi
	start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd </dev/null ||
		fatal "start-stop-daemon could not start /usr/sbin/mariadbd"
}

ensure_mariadb() {
	local wait=${CI_MARIADB_WAIT:-60}
	if ! command -v mariadb >/dev/null 2>&1 || [ ! -x /usr/sbin/mariadbd ]; then
		note "MariaDB is not installed: installing it from Debian's packages"
		apt_install mariadb-server mariadb-client
		{ command -v mariadb >/dev/null 2>&1 && [ -x /usr/sbin/mariadbd ]; } ||
			fatal "MariaDB still missing after apt-get install (no mariadb client or /usr/sbin/mariadbd)"
	fi

	if mariadb_tcp_ok; then
		note "MariaDB answers on 127.0.0.1:$MARIADB_PORT ($("${MARIADB_TCP[@]}" -e 'select version()' </dev/null))"
		return 0
	fi

	if ! mariadb_alive; then
		note "MariaDB is not running: starting it"
		start_mariadb
		local i
		for ((i = 0; i < wait; i++)); do
			mariadb_alive && break
			sleep 1
		done
		if ! mariadb_alive; then
			mariadb_log_tail
			fatal "MariaDB did not come up within ${wait}s after start-stop-daemon --start --exec /usr/sbin/mariadbd"
		fi
		note "MariaDB is up after ~${i}s"
	fi

	if ! mariadb_tcp_ok; then
		# Debian's root@localhost uses unix_socket auth: a fresh server lets root
		# in on the socket but not over TCP. Allow an empty password over TCP
		# (keeping socket auth), and add root@127.0.0.1 and root@::1 for
		# servers that match TCP clients by address.
		note "root cannot log in over TCP with an empty password: fixing that through the socket"
		local out
		if ! out=$("${MARIADB_SOCK[@]}" -e 'select current_user()' </dev/null 2>&1); then
			echo "$out" >&2
			fatal "MariaDB runs but root can log in neither over TCP with an empty password nor on the socket (error above); cannot fix its accounts"
		fi
		# --force: go on past a statement that fails (say, no root@localhost);
		# the check below decides.
		"${MARIADB_SOCK[@]}" --force <<-'SQL' || note "(some statements failed; checking TCP login anyway)"
			ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
			CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED BY '';
			GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;
			CREATE USER IF NOT EXISTS root@'::1' IDENTIFIED BY '';
			GRANT ALL PRIVILEGES ON *.* TO root@'::1' WITH GRANT OPTION;
			FLUSH PRIVILEGES;
		SQL
	fi

	if ! mariadb_tcp_ok; then
		"${MARIADB_TCP[@]}" -e 'select 1' </dev/null >&2 || true
		fatal "cannot connect to MariaDB as root with an empty password: mariadb -uroot -h127.0.0.1 -e 'select 1' fails (error above)"
	fi
	note "MariaDB answers on 127.0.0.1:$MARIADB_PORT ($("${MARIADB_TCP[@]}" -e 'select version()' </dev/null))"
}

# ------------------------------------------------------------------ Redis ---

redis_pong() {
	local out
	out=$(timeout 5 redis-cli -h 127.0.0.1 -p "${CI_REDIS_PORT:-6379}" ping </dev/null 2>&1) || return 1
	[ "$out" = PONG ]
}

ensure_redis() {
	local wait=${CI_REDIS_WAIT:-30} port=${CI_REDIS_PORT:-6379}
	if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
		note "Redis is not installed: installing it from Debian's packages"
		apt_install redis-server redis-tools
		{ command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; } ||
			fatal "redis-server/redis-cli still missing after apt-get install"
	fi

	if redis_pong; then
		note "Redis answers PONG on 127.0.0.1:$port ($(redis-server --version | awk '{print $3}'))"
		return 0
	fi

	note "Redis does not answer PONG on 127.0.0.1:$port: starting it"
	mkdir -p /var/lib/redis /var/log/redis
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
		--dir /var/lib/redis --logfile /var/log/redis/ci.log </dev/null ||
		fatal "redis-server --daemonize failed to start"
	local i
	for ((i = 0; i < wait; i++)); do
		redis_pong && break
		sleep 1
	done
	if ! redis_pong; then
		if [ -s /var/log/redis/ci.log ]; then
			echo "--- last lines of /var/log/redis/ci.log ---" >&2
			tail -n 30 /var/log/redis/ci.log >&2 || true
		fi
		timeout 5 redis-cli -h 127.0.0.1 -p "$port" ping </dev/null >&2 || true
		fatal "Redis did not answer PONG on 127.0.0.1:$port within ${wait}s of starting it"
	fi
	note "Redis is up after ~${i}s"
}

# ---------------------------------------------------------- Redis Cluster ---
#
# ensure_redis_cluster starts a three-node Redis Cluster (three masters, no
# replicas) from the machine's redis-server on the ports in
# CI_REDIS_CLUSTER_PORTS (default "7001 7002 7003"), in a fresh temporary
# directory, and sets REDIS_CLUSTER_URL to its go-redis cluster URL. A
# cluster left on those ports by an aborted run is shut down first. The
# caller's EXIT trap calls stop_redis_cluster.

REDIS_CLUSTER_DIR=""
REDIS_CLUSTER_URL=""
REDIS_CLUSTER_STARTED=()

redis_cluster_ok() { # PORT: the node answers cluster_state:ok
	timeout 5 redis-cli -h 127.0.0.1 -p "$1" cluster info </dev/null 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'
}

redis_cluster_log_tail() {
	local f
	for f in "$REDIS_CLUSTER_DIR"/*.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f ---" >&2
		tail -n 20 "$f" >&2 || true
	done
}

# stop_redis_cluster: shut down the nodes this run started and remove their
# directory. Safe to call twice and when nothing was started.
stop_redis_cluster() {
	local p
	for p in "${REDIS_CLUSTER_STARTED[@]}"; do
		timeout 5 redis-cli -h 127.0.0.1 -p "$p" shutdown nosave </dev/null >/dev/null 2>&1 || true
	done
	REDIS_CLUSTER_STARTED=()
	if [ -n "$REDIS_CLUSTER_DIR" ]; then
		rm -rf "$REDIS_CLUSTER_DIR"
		REDIS_CLUSTER_DIR=""
	fi
}

ensure_redis_cluster() {
	local wait=${CI_REDIS_WAIT:-30} ports p i ok
	read -r -a ports <<<"${CI_REDIS_CLUSTER_PORTS:-7001 7002 7003}"
	[ "${#ports[@]}" -ge 3 ] || fatal "CI_REDIS_CLUSTER_PORTS must name at least three ports, not '${CI_REDIS_CLUSTER_PORTS:-}'"
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
		fatal "redis-server/redis-cli missing: ensure_redis runs first"

	# A stale cluster (or any Redis) on our ports: stop it, start afresh.
	for p in "${ports[@]}"; do
		if timeout 5 redis-cli -h 127.0.0.1 -p "$p" ping </dev/null >/dev/null 2>&1; then
			note "a Redis already answers on 127.0.0.1:$p (a cluster from an aborted run?): shutting it down"
			timeout 5 redis-cli -h 127.0.0.1 -p "$p" shutdown nosave </dev/null >/dev/null 2>&1 || true
			for ((i = 0; i < wait; i++)); do
				timeout 2 redis-cli -h 127.0.0.1 -p "$p" ping </dev/null >/dev/null 2>&1 || break
				sleep 1
			done
			! timeout 2 redis-cli -h 127.0.0.1 -p "$p" ping </dev/null >/dev/null 2>&1 ||
				fatal "the Redis on 127.0.0.1:$p did not shut down; free the port or set CI_REDIS_CLUSTER_PORTS"
		fi
	done

	REDIS_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/deputylink-redis-cluster.XXXXXX") ||
		fatal "mktemp -d for the Redis Cluster failed"
	for p in "${ports[@]}"; do
		redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
			--cluster-config-file "$REDIS_CLUSTER_DIR/nodes-$p.conf" --dir "$REDIS_CLUSTER_DIR" \
			--save "" --appendonly no --daemonize yes --logfile "$REDIS_CLUSTER_DIR/redis-$p.log" </dev/null ||
			{
				redis_cluster_log_tail
				fatal "redis-server --cluster-enabled yes --port $p failed to start"
			}
		REDIS_CLUSTER_STARTED+=("$p")
	done
	for p in "${ports[@]}"; do
		for ((i = 0; i < wait; i++)); do
			timeout 2 redis-cli -h 127.0.0.1 -p "$p" ping </dev/null >/dev/null 2>&1 && break
			sleep 1
		done
		timeout 2 redis-cli -h 127.0.0.1 -p "$p" ping </dev/null >/dev/null 2>&1 || {
			redis_cluster_log_tail
			fatal "the cluster node on 127.0.0.1:$p did not answer PONG within ${wait}s"
		}
	done

	local addrs=()
	for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
	local out
	out=$(redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes </dev/null 2>&1) || {
		echo "$out" | tail -n 20 >&2
		redis_cluster_log_tail
		fatal "redis-cli --cluster create ${addrs[*]} failed"
	}
	for ((i = 0; i < wait; i++)); do
		ok=1
		for p in "${ports[@]}"; do redis_cluster_ok "$p" || ok=0; done
		[ "$ok" = 1 ] && break
		sleep 1
	done
	if [ "$ok" != 1 ]; then
		for p in "${ports[@]}"; do
			echo "--- cluster info on $p ---" >&2
			timeout 5 redis-cli -h 127.0.0.1 -p "$p" cluster info </dev/null >&2 || true
		done
		redis_cluster_log_tail
		fatal "the Redis Cluster on ${addrs[*]} did not reach cluster_state:ok within ${wait}s"
	fi

	REDIS_CLUSTER_URL="redis://${addrs[0]}"
	local sep="?"
	for p in "${addrs[@]:1}"; do
		REDIS_CLUSTER_URL+="${sep}addr=$p"
		sep="&"
	done
	note "Redis Cluster up: ${addrs[*]} ($(redis-server --version | awk '{print $3}' | sed 's/^v=//'), cluster_state:ok on every node)"
}
