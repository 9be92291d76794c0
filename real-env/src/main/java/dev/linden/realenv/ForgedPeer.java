package dev.linden.realenv;

import dev.linden.kvnode.net.FrameCodec;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Message;
import dev.linden.nemesis.FaultOps;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code forged-peer} fault: a stranger who knows the cluster id (it is in every Hello on the wire)
 * dials each node's peer port and says Hello as a lower-numbered member (the node accepts Hellos from lower
 * ids only; node 1 then has none to be forged to it). Once answered, it speaks Raft as that member, every
 * {@link #ROUND_MILLIS} and as soon as a link is answered, in turn: a heartbeat; a vote request of a
 * leadership transfer (which bypasses a follower's loyalty to a live leader) from a log that looks longest;
 * and an append as a leader would send it, following the follower's own back-off hints (Raft §5.3) to the
 * end of its log, then one no-op entry there with a commit index that covers it. Each of the highest term
 * the nodes report plus {@code termJump}: a plausible term, which Raft believes. When the real member dials
 * again the node replaces the forged link, and the forger dials again too (at most
 * {@link #RECONNECTS_PER_LINK_MAX} times per link).
 *
 * <p>Credentials: {@code NONE} (plain TCP). After TLS, the same attack with no credentials must be refused at
 * the handshake, and with an ordinary client's certificate claiming to be node 1 refused at Hello; see
 * {@link AttackChannels.Credentials}.
 */
final class ForgedPeer {
    static final long ROUND_MILLIS = 250;
    /** Two minutes of rounds at most, whatever the stop. */
    static final int ROUNDS_MAX = 480;

    static final int RECONNECTS_PER_LINK_MAX = 200;
    /** Largest frame read from a node on a forged link (it may send entries to the member it thinks it is). */
    static final int FRAME_BYTES_MAX = Wire.DEFAULT_MAX_FRAME_BYTES;

    private final HostileAttacks h;
    private final long termJump;
    private final AttackChannels.Tally tally = new AttackChannels.Tally();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong votesGranted = new AtomicLong();
    private final AtomicLong appendsAccepted = new AtomicLong();
    private final AtomicLong appendsRejected = new AtomicLong();
    /** Per target: where its log matches the forger's, as it last said (index, term), or none yet. */
    private final Map<Integer, long[]> matchPoint = new ConcurrentHashMap<>();

    private final AtomicLong hellosAnswered = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong highestTermSeen = new AtomicLong();
    private final AtomicLong highestTermForged = new AtomicLong();
    private final AtomicLong highestCommitSeen = new AtomicLong();
    /** Forged link per target node: the member it claims to be, and its channel once the Hello is answered. */
    private final Map<Integer, Integer> claimed = new TreeMap<>();

    private final Map<Integer, Channel> verified = new ConcurrentHashMap<>();
    private final Map<String, Long> refusals = new ConcurrentHashMap<>();
    /** (leader, term) pairs the nodes reported while the fault held: each one a leadership. */
    private final Set<String> leaderships = ConcurrentHashMap.newKeySet();

    private final AttackChannels.Credentials credentials;

    ForgedPeer(HostileAttacks h, long termJump, AttackChannels.Credentials credentials) {
        this.h = h;
        this.credentials = credentials;
        this.termJump = Math.max(1, Math.min(termJump, 1L << 20));
    }

    HostileAttacks.Result start() {
        Map<String, Object> skipped = new TreeMap<>();
        for (int k : h.c.nodes()) {
            int member = h.c.nodes().stream().filter(j -> j < k).findFirst().orElse(-1);
            if (member < 0) {
                skipped.put(String.valueOf(k), "takes Hellos from lower ids only; there is none");
            } else {
                claimed.put(k, member);
            }
        }
        if (claimed.isEmpty()) {
            return new HostileAttacks.Result(
                    FaultOps.noEffect("no node to forge a member to", "skipped", skipped), null);
        }
        poll();
        claimed.forEach((k, j) -> dial(k, j, RECONNECTS_PER_LINK_MAX));
        h.channels.schedule(this::round, ROUND_MILLIS);
        HostileAttacks.sleep(3_000); // a few rounds, so the answer says what they did
        if (hellosAnswered.get() == 0 && refusals.isEmpty()) {
            stop(); // nothing held: its stop will say so
            return new HostileAttacks.Result(
                    FaultOps.noEffect(
                            "no node answered a forged Hello",
                            "claimed",
                            claimedText(),
                            "opened",
                            tally.opened.get(),
                            "failed",
                            tally.failed.get()),
                    null);
        }
        Object evidence = FaultOps.effect(
                "Hello as a member on peer ports, then Raft messages of higher terms",
                "credentials",
                credentials.cliName(),
                "claimed",
                claimedText(),
                "skipped",
                skipped,
                "hellos-answered",
                hellosAnswered.get(),
                "refusals",
                new TreeMap<>(refusals),
                "rounds",
                rounds.get(),
                "messages-sent",
                sent.get(),
                "votes-granted-to-forger",
                votesGranted.get(),
                "forged-appends-accepted",
                appendsAccepted.get(),
                "forged-appends-rejected",
                appendsRejected.get(),
                "highest-term-forged",
                highestTermForged.get());
        return new HostileAttacks.Result(evidence, this::stop);
    }

    private Map<String, Object> claimedText() {
        Map<String, Object> m = new TreeMap<>();
        claimed.forEach((k, j) -> m.put(String.valueOf(k), "as node " + j));
        return m;
    }

    private Object stop() {
        stopped.set(true);
        long held = tally.open.size();
        tally.closeAll();
        return FaultOps.effect(
                "forged links closed",
                "rounds",
                rounds.get(),
                "messages-sent",
                sent.get(),
                "messages-received",
                received.get(),
                "votes-granted-to-forger",
                votesGranted.get(),
                "forged-appends-accepted",
                appendsAccepted.get(),
                "forged-appends-rejected",
                appendsRejected.get(),
                "hellos-answered",
                hellosAnswered.get(),
                "refusals",
                new TreeMap<>(refusals),
                "links-closed-by-node",
                tally.closedByNode.get(),
                "reconnects",
                reconnects.get(),
                "held-until-stop",
                held,
                "highest-term-forged",
                highestTermForged.get(),
                "leaderships-seen",
                leaderships.size());
    }

    private void dial(int k, int member, int reconnectsLeft) {
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", h.c.peerPort(k));
        h.channels
                .connect(to, credentials, tally, p -> FrameCodec.install(p, FRAME_BYTES_MAX, new Reader(k)))
                .addListener(x -> {
                    if (!x.isSuccess()) {
                        return;
                    }
                    Channel ch = ((ChannelFuture) x).channel();
                    ch.writeAndFlush(new Wire.Hello(member, h.c.clusterId(), 0)); // incarnation 0: "from before"
                    ch.closeFuture().addListener(c -> {
                        verified.remove(k, ch);
                        if (!stopped.get() && reconnectsLeft > 0 && rounds.get() < ROUNDS_MAX) {
                            reconnects.incrementAndGet();
                            h.channels.schedule(() -> dial(k, member, reconnectsLeft - 1), 300);
                        }
                    });
                });
    }

    /** What a node says on a forged link. */
    private final class Reader extends SimpleChannelInboundHandler<Object> {
        private final int node;

        Reader(int node) {
            this.node = node;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Wire.Hello hello) {
                if (hello.refused()) {
                    refusals.merge(hello.refusal(), 1L, Long::sum);
                } else {
                    hellosAnswered.incrementAndGet();
                    verified.put(node, ctx.channel());
                    send(node, ctx.channel(), highestTermSeen.get() + termJump); // before the real member is back
                }
                return;
            }
            received.incrementAndGet();
            if (msg instanceof Message m) {
                highestTermSeen.accumulateAndGet(m.term(), Math::max);
            }
            if (msg instanceof Message.VoteResponse v && v.granted()) {
                votesGranted.incrementAndGet();
            }
            if (msg instanceof Message.AppendResponse a) {
                if (a.success()) {
                    appendsAccepted.incrementAndGet();
                    matchPoint.put(node, new long[] {a.matchIndex(), a.term()});
                } else {
                    appendsRejected.incrementAndGet();
                    matchPoint.put(node, new long[] {a.hintIndex(), a.hintTerm()});
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Asks every node its status (without waiting): the highest term and commit index seen, leaderships. */
    private void poll() {
        for (int id : h.c.nodes()) {
            if (h.c.alive(id) && !h.c.paused.contains(id)) {
                h.c.statusClient().status(id).thenAccept(s -> {
                    highestTermSeen.accumulateAndGet(s.term(), Math::max);
                    highestCommitSeen.accumulateAndGet(s.commitIndex(), Math::max);
                    if (s.role().equals("LEADER")) {
                        leaderships.add(s.nodeId() + "@" + s.term());
                    }
                });
            }
        }
    }

    /** One round: to every forged link, a heartbeat or a transfer's vote request of a term above all seen. */
    private void round() {
        if (stopped.get() || rounds.incrementAndGet() > ROUNDS_MAX) {
            return;
        }
        poll();
        long term = highestTermSeen.get() + termJump;
        verified.forEach((k, ch) -> send(k, ch, term));
        h.channels.schedule(this::round, ROUND_MILLIS);
    }

    /** This round's forged message to node {@code k}, of term {@code term}. */
    private void send(int k, Channel ch, long term) {
        highestTermForged.accumulateAndGet(term, Math::max);
        int j = claimed.get(k);
        long[] match = matchPoint.get(k);
        Object m = switch ((int) (rounds.get() % 3)) {
            case 0 -> new Message.HeartbeatRequest(j, k, term, 0, 0);
            // A log that looks longer than anyone's: the vote is granted (Raft §5.4.1).
            case 1 -> new Message.VoteRequest(j, k, term, false, highestCommitSeen.get() + 1_000_000, term, true);
            // No match point yet: a probe far ahead, whose rejection hints where the follower's log ends.
            default ->
                match == null
                        ? new Message.AppendRequest(j, k, term, highestCommitSeen.get() + 1_000_000, term, List.of(), 0)
                        : new Message.AppendRequest(
                                j,
                                k,
                                term,
                                match[0],
                                match[1],
                                List.of(new Entry(term, match[0] + 1, Entry.Kind.NOOP, new byte[0])),
                                match[0] + 1);
        };
        ch.writeAndFlush(m).addListener(w -> {
            if (w.isSuccess()) {
                sent.incrementAndGet();
            }
        });
    }
}
