package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Scenario scripts with golden traces, in the manner of etcd raft's {@code testdata/*.txt}: each file in
 * {@code src/test/resources/raft-traces} is a sequence of blocks
 * <pre>
 *   command args...
 *   ----
 *   the trace it produced: every persist, write, send, delivery, apply and notice, one per line
 * </pre>
 * separated by blank lines; {@code #} lines are comments. A run that produces a different trace fails
 * and shows both. {@code -Dgolden.rewrite=true} writes the traces the code produces back into the files
 * (then read the diff: it is the behaviour change).
 *
 * <p>Commands: {@code cluster N [cache=N] [trailing=N] [chunk=B]} (a fresh cluster of N nodes, durable writes
 * synced at once; the options set the entry cache, the entries kept behind a snapshot, the chunk size, the entries
 * per append),
 * {@code campaign ID}, {@code propose ID CMD...}, {@code stabilize}, {@code tick ID TICKS},
 * {@code tick-all TICKS}, {@code transfer LEADER TARGET} (leadership transfer), {@code propose-refused ID CMD}
 * (a proposal expected to be refused: prints the answer), {@code lease ID} (whether the core allows lease
 * reads now; cluster option {@code lease=DRIFT_TICKS} turns them on), {@code snapshot ID} (the node snapshots what
 * it applied, then compacts),
 * {@code deliver A->B} (one pass over the queued messages from A to B; {@code *} is any node),
 * {@code drop A->B}, {@code isolate ID}, {@code cut A B}, {@code heal}, {@code expire-lease ID...}
 * (the nodes forget the leader without campaigning), {@code restart ID},
 * {@code lose-tail ID KEEP} (the node's durable log keeps only its first KEEP entries, as after a cut
 * WAL tail), {@code wipe ID} (log and hard state gone), {@code read-index ID CTX}, {@code status}.
 */
class GoldenTraceTest {
    private static final Path DIR = Path.of("src", "test", "resources", "raft-traces");
    private static final String SEPARATOR = "----";

    @TestFactory
    Stream<DynamicTest> traces() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(f -> f.toString().endsWith(".txt")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new AssertionError("no trace files in " + DIR.toAbsolutePath());
        }
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
    }

    private record Block(List<String> comments, String command, String expected) {}

    private static List<Block> parse(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Block> blocks = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank()) {
                i++;
                continue;
            }
            if (line.startsWith("#")) {
                comments.add(line);
                i++;
                continue;
            }
            String command = line.strip();
            i++;
            if (i >= lines.size() || !lines.get(i).equals(SEPARATOR)) {
                throw new AssertionError(file + ":" + i + ": expected '" + SEPARATOR + "' after '" + command + "'");
            }
            i++;
            StringBuilder expected = new StringBuilder();
            while (i < lines.size() && !lines.get(i).isEmpty()) {
                expected.append(lines.get(i)).append('\n');
                i++;
            }
            blocks.add(new Block(List.copyOf(comments), command, expected.toString()));
            comments.clear();
        }
        return blocks;
    }

    private static void run(Path file) throws IOException {
        List<Block> blocks = parse(file);
        Script[] script = new Script[1];
        StringBuilder rewritten = new StringBuilder();
        List<String> failures = new ArrayList<>();
        for (Block b : blocks) {
            List<String> trace = new ArrayList<>();
            if (script[0] != null) {
                script[0].trace = trace;
            }
            execute(script, b.command(), trace);
            String actual = trace.isEmpty() ? "ok\n" : String.join("\n", trace) + "\n";
            if (!actual.equals(b.expected())) {
                failures.add(b.command());
            }
            for (String c : b.comments()) {
                rewritten.append(c).append('\n');
            }
            rewritten
                    .append(b.command())
                    .append('\n')
                    .append(SEPARATOR)
                    .append('\n')
                    .append(actual)
                    .append('\n');
            if (!actual.equals(b.expected()) && !Boolean.getBoolean("golden.rewrite")) {
                assertEquals(b.expected(), actual, file.getFileName() + ": '" + b.command() + "'");
            }
        }
        if (Boolean.getBoolean("golden.rewrite") && !failures.isEmpty()) {
            Files.writeString(file, rewritten.toString().stripTrailing() + "\n", StandardCharsets.UTF_8);
        }
    }

    private static void execute(Script[] holder, String command, List<String> trace) {
        String[] w = command.split("\\s+");
        Script s = holder[0];
        switch (w[0]) {
            case "cluster" -> {
                holder[0] = new Script(Integer.parseInt(w[1]), config(List.of(w).subList(2, w.length)));
                holder[0].trace = trace;
            }
            case "snapshot" -> s.snapshot(id(w[1]));
            case "deliver" -> s.deliver(link(w[1]));
            case "drop" -> {
                Predicate<Message> p = link(w[1]);
                s.inFlight.stream().filter(p).forEach(m -> trace.add("drop " + Trace.message(m)));
                s.drop(p);
            }
            case "campaign" -> s.campaign(id(w[1]));
            case "transfer" -> {
                long r = s.node(id(w[1])).step(new Input.TransferLeadership(id(w[2])));
                s.collect(id(w[1]));
                trace.add(r == 1 ? "transfer under way" : "transfer refused");
            }
            case "propose-refused" -> {
                long r = s.node(id(w[1])).step(new Input.Propose(w[2].getBytes()));
                trace.add("propose -> "
                        + (r == RaftCore.PROPOSE_THROTTLED
                                ? "THROTTLED"
                                : r == RaftCore.PROPOSE_NOT_LEADER ? "NOT_LEADER" : "index " + r));
            }
            case "propose" -> s.propose(id(w[1]), String.join(" ", List.of(w).subList(2, w.length)));
            case "stabilize" -> s.stabilize();
            case "tick" -> s.tick(id(w[1]), Integer.parseInt(w[2]));
            case "tick-all" -> s.tickAll(Integer.parseInt(w[1]));
            case "isolate" -> s.isolate(id(w[1]));
            case "cut" -> s.cut(id(w[1]), id(w[2]));
            case "heal" -> s.heal();
            case "expire-lease" ->
                s.expireLease(List.of(w).subList(1, w.length).stream()
                        .mapToInt(GoldenTraceTest::id)
                        .toArray());
            case "restart" -> s.restart(id(w[1]), s.config);
            case "lose-tail" -> {
                List<Entry> log = s.durableLogs.get(id(w[1]));
                s.durableLogs.put(
                        id(w[1]), new ArrayList<>(log.subList(0, Math.min(log.size(), Integer.parseInt(w[2])))));
            }
            case "wipe" -> {
                s.durableLogs.put(id(w[1]), new ArrayList<>());
                s.hardStates.put(id(w[1]), HardState.INITIAL);
            }
            case "read-index" -> {
                s.node(id(w[1])).readIndex(Long.parseLong(w[2]));
                s.collect(id(w[1]));
            }
            case "lease" ->
                trace.add(id(w[1]) + ": lease reads "
                        + (s.node(id(w[1])).leaseReadsAllowed() ? "allowed" : "not allowed"));
            case "join" -> s.start(id(w[1]), Membership.EMPTY);
            case "change" -> change(s, w, trace);
            case "members" -> members(s, w, trace);
            case "status" -> status(s, w, trace);
            default -> throw new AssertionError("unknown command '" + command + "'");
        }
    }

    private static void change(Script s, String[] w, List<String> trace) {
        int node = id(w[3]);
        MembershipChange change = switch (w[2]) {
            case "add-voter" -> MembershipChange.addVoter(node, "");
            case "add-learner" -> MembershipChange.addLearner(node, "");
            case "remove" -> MembershipChange.remove(node);
            default -> throw new AssertionError("unknown change '" + w[2] + "'");
        };
        long r = s.node(id(w[1])).step(new Input.ChangeMembership(change));
        s.collect(id(w[1]));
        trace.add("change " + change + " -> "
                + (r > 0
                        ? "index " + r
                        : r == 0
                                ? "IN_FORCE"
                                : r == RaftCore.PROPOSE_THROTTLED
                                        ? "THROTTLED"
                                        : r == RaftCore.PROPOSE_NOT_LEADER ? "NOT_LEADER" : "REFUSED"));
    }

    private static void status(Script s, String[] w, List<String> trace) {
        for (RaftCore c : s.cores.values()) {
            trace.add(c.id() + ": " + c.role() + " term=" + c.term() + " leader=" + c.leaderId() + " last="
                    + c.lastIndex() + " commit=" + c.commitIndex() + " applied=" + s.appliedCommands(c.id()));
        }
    }

    private static void members(Script s, String[] w, List<String> trace) {
        for (RaftCore c : s.cores.values()) {
            trace.add(c.id() + ": " + c.membership() + " committed: " + c.committedMembership());
        }
    }

    /** {@code cache=N} (entries kept in memory), {@code trailing=N} (kept behind a snapshot), {@code chunk=B}. */
    private static RaftConfig config(List<String> options) {
        RaftConfig c = RaftConfig.defaults();
        int chunk = c.maxSnapshotChunkBytes();
        int trailing = c.snapshotTrailingEntries();
        for (String o : options) {
            String[] kv = o.split("=", 2);
            switch (kv[0]) {
                case "cache" -> c = c.withMaxCachedEntries(Integer.parseInt(kv[1]));
                case "trailing" -> trailing = Integer.parseInt(kv[1]);
                case "chunk" -> chunk = Integer.parseInt(kv[1]);
                case "batch" -> c = c.withBatchLimits(Integer.parseInt(kv[1]), c.maxBatchBytes());
                case "lease" ->
                    c = c.toBuilder()
                            .leaseReads(true)
                            .leaseDriftBoundTicks(Integer.parseInt(kv[1]))
                            .build();
                default -> throw new AssertionError("unknown cluster option '" + o + "'");
            }
        }
        return c.withSnapshots(chunk, trailing);
    }

    /** {@code A->B} with {@code *} for any node: the queued messages from A to B. */
    private static Predicate<Message> link(String spec) {
        String[] ends = spec.split("->");
        if (ends.length != 2) {
            throw new AssertionError("expected FROM->TO, got '" + spec + "'");
        }
        int from = ends[0].equals("*") ? -1 : id(ends[0]);
        int to = ends[1].equals("*") ? -1 : id(ends[1]);
        return m -> (from < 0 || m.from() == from) && (to < 0 || m.to() == to);
    }

    private static int id(String s) {
        return Integer.parseInt(s);
    }
}
