#!/usr/bin/env bash
# Side-by-side write benchmark of Dongting v0.8.10 (github dtprj/dongting), for comparison with
# Linden's `./linden bench`: 3 Dongting member processes on 127.0.0.1 (one raft group, each member with
# its own data dir and ports), fsync before ack (RaftGroupConfig.syncForce = true, Dongting's default,
# written out explicitly), driven by Dongting's own benchmark client (dongting.dist DtBenchmark):
# PUT of 256-byte values over 100,000 keys, 2,000 requests in flight, a warmup, then a measured window.
#
# Usage:  docs/bench/dongting-bench.sh
# Environment (all optional):
#   DURATION=20          measured window, seconds
#   WARMUP=15            warmup, seconds. DtBenchmark always warms up 3 s before its window (a
#                        constant in DtBenchmark); a WARMUP above 3 adds a separate DtBenchmark pass of
#                        max(1, WARMUP-6) s (+ its own 3 s) against the same servers before the measured one.
#   INFLIGHT=2000        DtBenchmark --max-pending (async puts from one client thread)
#   ONE_AT_A_TIME=1      one write at a time instead: --sync --thread-count 1 --max-pending 1
#   VALUE_SIZE=256  KEYS=100000  CLIENTS=1 (DtBenchmark --client-count, in-flight is split among them)
#   JAVA_HOME            JDK to run servers and client (default: java on PATH, JDK 17 here)
#   DT_HEAP=2g           heap of each server and of the client (Dongting's own scripts use 4g)
#   DT_SERVER_JAVA_OPTS  replaces the server JVM flags entirely
#   DT_CLIENT_JAVA_OPTS  replaces the client JVM flags entirely
#   DT_PORT_BASE=15330   replicate ports BASE+1..3, service ports BASE+11..13 (loopback only)
#   DT_TMP=/tmp          where the run dir (data + logs) is created; it is removed at the end
#   DT_DIST              built dongting-dist dir (default $DT_SRC/target/dongting-dist; built
#                        from DT_SRC (default /tmp/dongting-src), tag v0.8.10, cloned from DT_MIRROR if missing)
# Output: Dongting's raw output, then one line
#   dongting writes/s=N avg_ms=.. max_ms=.. fail=F (...)
# DtBenchmark reports only average and max latency, no percentiles.
set -euo pipefail

DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-15}"
INFLIGHT="${INFLIGHT:-2000}"
ONE_AT_A_TIME="${ONE_AT_A_TIME:-0}"
VALUE_SIZE="${VALUE_SIZE:-256}"
KEYS="${KEYS:-100000}"
CLIENTS="${CLIENTS:-1}"
DT_HEAP="${DT_HEAP:-2g}"
DT_PORT_BASE="${DT_PORT_BASE:-15330}"
DT_TMP="${DT_TMP:-/tmp}"
DT_SRC="${DT_SRC:-/tmp/dongting-src}"
DT_DIST="${DT_DIST:-$DT_SRC/target/dongting-dist}"
DT_MIRROR="${DT_MIRROR:-https://github.com/dtprj/dongting.git}"
DT_VERSION=0.8.10
LEADER_WAIT_S=60   # bound on waiting for a leader
STOP_WAIT_S=30     # bound on waiting for a server to exit after SIGTERM

for v in DURATION WARMUP INFLIGHT VALUE_SIZE KEYS CLIENTS DT_PORT_BASE; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "dongting-bench: $v must be a non-negative integer" >&2; exit 2; }
done
[ "$DURATION" -ge 1 ] && [ "$INFLIGHT" -ge 1 ] && [ "$CLIENTS" -ge 1 ] \
  || { echo "dongting-bench: DURATION, INFLIGHT, CLIENTS must be >= 1" >&2; exit 2; }

log() { echo "dongting-bench: $*" >&2; }

# ---------------------------------------------------------------- build (only if the dist is missing)
if [ ! -f "$DT_DIST/lib/dongting-dist-$DT_VERSION.jar" ]; then
  log "no $DT_DIST/lib/dongting-dist-$DT_VERSION.jar, building Dongting v$DT_VERSION in $DT_SRC"
  if [ ! -d "$DT_SRC/.git" ]; then
    git clone -q "$DT_MIRROR" "$DT_SRC"
  fi
  git -C "$DT_SRC" checkout -q "v$DT_VERSION"
  (cd "$DT_SRC" && mvn -B -q clean package -DskipUTs -DskipTests)
  [ -f "$DT_DIST/lib/dongting-dist-$DT_VERSION.jar" ] || { log "build did not produce the dist"; exit 3; }
fi

# ---------------------------------------------------------------- JVM
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
JAVA_VER=$("$JAVA" -version 2>&1 | head -1 | sed -E 's/.*version "(1\.)?([0-9]+).*/\2/')
[[ "$JAVA_VER" =~ ^[0-9]+$ ]] && [ "$JAVA_VER" -ge 11 ] || { log "need Java 11+, got '$JAVA_VER'"; exit 2; }
# GC choice as in Dongting's own start-dongting.sh / benchmark.sh; heap size from DT_HEAP.
if [ "$JAVA_VER" -ge 25 ]; then srv_gc="-XX:+UseZGC"
elif [ "$JAVA_VER" -ge 21 ]; then srv_gc="-XX:+UseZGC -XX:+ZGenerational"
elif [ "$JAVA_VER" -ge 17 ]; then srv_gc="-XX:+UseZGC"
else srv_gc="-XX:+UseG1GC -XX:MaxGCPauseMillis=15 -XX:G1HeapRegionSize=2m -XX:+ParallelRefProcEnabled -XX:InitiatingHeapOccupancyPercent=30"
fi
SERVER_OPTS="${DT_SERVER_JAVA_OPTS:--Xms$DT_HEAP -Xmx$DT_HEAP -XX:MaxDirectMemorySize=1g $srv_gc}"
CLIENT_OPTS="${DT_CLIENT_JAVA_OPTS:--Xms$DT_HEAP -Xmx$DT_HEAP -XX:MaxDirectMemorySize=1g -XX:+UseG1GC -XX:MaxGCPauseMillis=5 -XX:G1HeapRegionSize=2m -XX:+ParallelRefProcEnabled -XX:InitiatingHeapOccupancyPercent=30}"
MODULE_OPTS=(--module-path "$DT_DIST/lib" --add-modules ALL-MODULE-PATH
             --add-exports java.base/jdk.internal.misc=dongting.client)

# ---------------------------------------------------------------- ports (loopback only)
REPL_PORTS=(); SVC_PORTS=()
for i in 1 2 3; do REPL_PORTS+=($((DT_PORT_BASE + i))); SVC_PORTS+=($((DT_PORT_BASE + 10 + i))); done
if command -v ss >/dev/null 2>&1; then
  for p in "${REPL_PORTS[@]}" "${SVC_PORTS[@]}"; do
    if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
      log "port $p is already in use (set DT_PORT_BASE)"; exit 2
    fi
  done
fi

# ---------------------------------------------------------------- run dir and cleanup
RUN_DIR="$(mktemp -d "$DT_TMP/dongting-bench.XXXXXX")"
SERVER_PIDS=()
CLIENT_PID=""
TAIL_PID=""
cleanup_done=0
cleanup() {
  local rc=$?
  [ "$cleanup_done" = 1 ] && return
  cleanup_done=1
  trap '' INT TERM
  if [ -n "$TAIL_PID" ]; then kill "$TAIL_PID" 2>/dev/null || true; fi
  if [ -n "$CLIENT_PID" ] && kill -0 "$CLIENT_PID" 2>/dev/null; then
    kill -TERM "$CLIENT_PID" 2>/dev/null || true   # `timeout` passes it on to the client JVM
    for _ in $(seq 1 20); do kill -0 "$CLIENT_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$CLIENT_PID" 2>/dev/null || true
  fi
  if [ "$rc" != 0 ] && [ -d "$RUN_DIR" ]; then
    for i in 1 2 3; do
      local f="$RUN_DIR/node$i/logs/dongting-server.log"
      if [ -f "$f" ]; then log "--- last lines of node $i server log:"; tail -n 15 "$f" >&2 || true; fi
      f="$RUN_DIR/node$i/stdout.log"
      if [ -s "$f" ]; then log "--- last lines of node $i stdout:"; tail -n 15 "$f" >&2 || true; fi
    done
  fi
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 1 $((STOP_WAIT_S * 2))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then log "server pid $pid did not stop in ${STOP_WAIT_S}s, SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  [ "${#SERVER_PIDS[@]}" -gt 0 ] && log "stopped servers: ${SERVER_PIDS[*]}"
  rm -rf "$RUN_DIR"
  log "removed $RUN_DIR"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- configs
servers_line=""; client_line=""
for i in 1 2 3; do
  servers_line+="${servers_line:+;}$i,127.0.0.1:${REPL_PORTS[$((i-1))]}"
  client_line+="${client_line:+;}$i,127.0.0.1:${SVC_PORTS[$((i-1))]}"
done
for i in 1 2 3; do
  d="$RUN_DIR/node$i"
  mkdir -p "$d/data" "$d/logs"
  cat >"$d/config.properties" <<EOF
nodeId = $i
replicatePort = ${REPL_PORTS[$((i-1))]}
servicePort = ${SVC_PORTS[$((i-1))]}
dataDir = $d/data
# fsync the raft log before acking the leader / counting the quorum (Dongting's default, set explicitly)
syncForce = true
EOF
  # each member its own copy: the server may rewrite it on membership changes
  cat >"$d/servers.properties" <<EOF
servers = $servers_line
group.0.nodeIdOfMembers = 1,2,3
group.0.nodeIdOfObservers =
EOF
done
echo "servers = $client_line" >"$RUN_DIR/client.properties"
mkdir -p "$RUN_DIR/client-logs"

# ---------------------------------------------------------------- start the 3 members
echo "== Dongting $DT_VERSION, 3 members on 127.0.0.1 (replicate ${REPL_PORTS[*]}, service ${SVC_PORTS[*]}), run dir $RUN_DIR"
echo "== java: $("$JAVA" -version 2>&1 | head -1) ($JAVA)"
echo "== server JVM: $SERVER_OPTS"
echo "== client JVM: $CLIENT_OPTS"
for i in 1 2 3; do
  d="$RUN_DIR/node$i"
  # shellcheck disable=SC2086
  "$JAVA" $SERVER_OPTS -DDATA_DIR="$d/data" -DLOG_DIR="$d/logs" \
    -Dlogback.configurationFile="$DT_DIST/conf/logback-server.xml" \
    "${MODULE_OPTS[@]}" \
    -m dongting.dist/com.github.dtprj.dongting.dist.Bootstrap \
    -c "$d/config.properties" -s "$d/servers.properties" \
    >"$d/stdout.log" 2>&1 </dev/null &
  SERVER_PIDS+=($!)
done
echo "== server pids: ${SERVER_PIDS[*]}"

# ---------------------------------------------------------------- wait for a leader (bounded)
leader=""
for _ in $(seq 1 $((LEADER_WAIT_S * 2))); do
  for i in 1 2 3; do
    kill -0 "${SERVER_PIDS[$((i-1))]}" 2>/dev/null || { log "server $i exited early"; exit 1; }
  done
  for i in 1 2 3; do
    if grep -q 'change to leader. groupId=0' "$RUN_DIR/node$i/logs/dongting-server.log" 2>/dev/null; then leader=$i; break; fi
  done
  [ -n "$leader" ] && break
  sleep 0.5
done
[ -n "$leader" ] || { log "no leader within ${LEADER_WAIT_S}s"; exit 1; }
echo "== leader: node $leader"
sleep 1   # let the leader commit its first entry of the term

# ---------------------------------------------------------------- benchmark client
bench_args=(-s "$RUN_DIR/client.properties" -g 0 --op put --value-size "$VALUE_SIZE" --key-count "$KEYS"
            --client-count "$CLIENTS" --use-nanos)
if [ "$ONE_AT_A_TIME" = 1 ]; then
  bench_args+=(--sync --thread-count 1 --max-pending 1)
  mode="one at a time (sync, 1 thread, max-pending 1)"
else
  bench_args+=(--async --max-pending "$INFLIGHT")
  mode="async, max-pending $INFLIGHT"
fi

# run_client SECONDS OUTFILE: DtBenchmark in the background under `timeout` (bounded), its output live
run_client() {
  local secs=$1 out=$2
  local limit=$((secs + 3 + 60))
  # shellcheck disable=SC2086
  timeout -k 10 "$limit" "$JAVA" $CLIENT_OPTS -DLOG_DIR="$RUN_DIR/client-logs" \
    -Dlogback.configurationFile="$DT_DIST/conf/logback-benchmark.xml" \
    "${MODULE_OPTS[@]}" \
    -m dongting.dist/com.github.dtprj.dongting.dist.DtBenchmark \
    "${bench_args[@]}" --duration "$secs" >"$out" 2>&1 </dev/null &
  CLIENT_PID=$!
  tail -n +1 -f --pid="$CLIENT_PID" "$out" &
  TAIL_PID=$!
  local crc=0
  wait "$CLIENT_PID" || crc=$?
  wait "$TAIL_PID" 2>/dev/null || true
  CLIENT_PID=""; TAIL_PID=""
  return "$crc"
}

if [ "$WARMUP" -gt 3 ]; then
  pre=$((WARMUP - 6)); [ "$pre" -lt 1 ] && pre=1
  echo "== warmup pass: DtBenchmark ${pre}s (+3s own warmup), $mode"
  run_client "$pre" "$RUN_DIR/warmup.out" || { log "warmup pass failed"; exit 1; }
fi
echo "== measured pass: DtBenchmark ${DURATION}s (+3s own warmup), $mode, ${VALUE_SIZE}-byte values, $KEYS keys"
crc=0
run_client "$DURATION" "$RUN_DIR/bench.out" || crc=$?

# ---------------------------------------------------------------- summary
alive=0
for pid in "${SERVER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
elections=$(cat "$RUN_DIR"/node*/logs/dongting-server.log 2>/dev/null | grep 'change to leader. groupId=0' | grep -vc 'successfully elected' || true)
final=$(grep '^\[Final\]' "$RUN_DIR/bench.out" | tail -1 || true)
if [ -z "$final" ]; then
  log "no [Final] line from DtBenchmark (exit $crc)"; exit 1
fi
num() { echo "$final" | sed -nE "s/.*$1: ([0-9,]+).*/\1/p" | tr -d ,; }
tps=$(num TPS); fail=$(num Fail); avg_us=$(num Avg); max_us=$(num Max)
# spread of the per-second throughput inside the measured window ([Now] lines after "Warmup complete")
spread=$(awk '/Warmup complete/{m=1} m && /^\[Now\]/{gsub(",","",$3); print $3}' "$RUN_DIR/bench.out" \
  | sort -n | awk '{a[NR]=$1} END{if(NR) printf "per-second writes/s min=%d median=%d max=%d (n=%d)", a[1], a[int((NR+1)/2)], a[NR], NR}')
echo
echo "== ${spread:-no per-second lines}; servers alive after the run: $alive of 3; leader elections seen: $elections"
echo "dongting writes/s=$tps avg_ms=$(awk -v u="$avg_us" 'BEGIN{printf "%.3f", u/1000}') max_ms=$(awk -v u="$max_us" 'BEGIN{printf "%.3f", u/1000}') fail=$fail (DtBenchmark gives avg and max only, no p50/p99; $mode; ${VALUE_SIZE} B x $KEYS keys; ${DURATION}s window; syncForce=true; java $JAVA_VER)"
[ "$crc" = 0 ] && [ "$alive" = 3 ] && [ "$fail" = 0 ]
