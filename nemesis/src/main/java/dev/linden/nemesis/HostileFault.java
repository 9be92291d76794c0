package dev.linden.nemesis;

import java.util.List;
import java.util.Locale;

/**
 * The {@link Fault}s of the {@code hostile} family (issue 24): the harness attacks the cluster as a hostile or
 * careless client, or a stranger on the network, would. Each is a start, held until its {@link StopAttack}.
 */
public sealed interface HostileFault extends Fault
        permits HostileFault.StartAnswerFlood,
                HostileFault.StartClientConnFlood,
                HostileFault.StartPeerConnFlood,
                HostileFault.StartHalfFrames,
                HostileFault.StartForgedPeer,
                HostileFault.RogueOperator,
                HostileFault.StopAttack {
    /** The attacks, as histories name them ({@code start-NAME}, {@code stop-NAME}). */
    enum Attack {
        ANSWER_FLOOD,
        CLIENT_CONN_FLOOD,
        PEER_CONN_FLOOD,
        HALF_FRAMES,
        FORGED_PEER;

        public String text() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One client with a session puts a value of {@code valueBytes}, then sends {@code calls} mismatching
     * compare-and-sets at once: every answer carries the value, and every replica's session cache keeps it.
     */
    record StartAnswerFlood(int calls, int valueBytes) implements HostileFault {
        public <R> R accept(Handler<R> h) {
            return h.startAnswerFlood(this);
        }
    }

    /** Idle TCP connections to the targets' client ports, held until the stop. */
    record StartClientConnFlood(String targets, int connectionsPerNode) implements HostileFault {
        public StartClientConnFlood {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.startClientConnFlood(this);
        }
    }

    /** Idle TCP connections to the targets' peer ports, never saying Hello, held until the stop. */
    record StartPeerConnFlood(String targets, int connectionsPerNode) implements HostileFault {
        public StartPeerConnFlood {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.startPeerConnFlood(this);
        }
    }

    /** The ports {@link StartHalfFrames} takes ({@code "port"}). */
    List<String> PORTS = List.of("peer", "client");

    /** Frames announcing {@code frameBytes}, sent but for their last bytes, which trickle, to a port. */
    record StartHalfFrames(String port, String targets, int framesPerNode, int frameBytes) implements HostileFault {
        public StartHalfFrames {
            FaultHistory.oneOf("port", port, PORTS);
            Targets.check(targets);
        }

        public boolean peerPort() {
            return port.equals("peer");
        }

        public <R> R accept(Handler<R> h) {
            return h.startHalfFrames(this);
        }
    }

    /** What a forged peer presents ({@code "credentials"}): plain TCP, or an ordinary client's certificate. */
    List<String> CREDENTIALS = List.of("none", "client");

    /**
     * Hello as a lower-numbered member on each node's peer port, then heartbeats and vote requests of the term
     * the nodes report plus {@code termJump}.
     */
    record StartForgedPeer(String credentials, long termJump) implements HostileFault {
        public <R> R accept(Handler<R> h) {
            return h.startForgedPeer(this);
        }
    }

    /**
     * An ordinary client of the cluster (a client certificate, no admin's) asks, as an operator would, for the
     * removal of the target from the membership and for leadership to go to it: both must be refused. Ends by
     * itself, with the answers.
     */
    record RogueOperator(String targets) implements HostileFault {
        public RogueOperator {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.rogueOperator(this);
        }
    }

    /** The attack stops: every connection, client and helper it opened is closed. */
    record StopAttack(Attack attack) implements HostileFault {
        public <R> R accept(Handler<R> h) {
            return h.stopAttack(this);
        }
    }
}
