package dev.linden.harness;

import dev.linden.nemesis.FaultKind;
import dev.linden.nemesis.FaultSchedule;

/** The {@code ./linden test} command line that runs a {@link TestSpec} again ({@link TestSpec#replayCommand}). */
final class ReplayCommand {
    private ReplayCommand() {}

    /** The command line the spec came from, or its settings as flags. */
    static String of(TestSpec spec) {
        if (!spec.argv().isEmpty()) {
            return String.join(" ", spec.argv());
        }
        StringBuilder b = new StringBuilder("./linden test --env ")
                .append(spec.env())
                .append(" --nodes ")
                .append(spec.nodes())
                .append(" --workload ")
                .append(spec.workload())
                .append(" --nemesis ")
                .append(FaultKind.format(spec.faults()))
                .append(" --time-limit ")
                .append(trim(spec.timeLimitMillis() / 1000.0))
                .append(" --rate ")
                .append(trim(spec.rate()))
                .append(" --concurrency ")
                .append(spec.concurrency())
                .append(" --keys ")
                .append(spec.keys());
        if (spec.readOnlyClients() > 0) {
            b.append(" --read-only-clients ").append(spec.readOnlyClients());
        }
        double defaultGapMillis =
                FaultSchedule.Options.defaults(spec.faults(), spec.nodes()).meanGapMillis();
        double intensity = defaultGapMillis / (double) spec.schedule().meanGapMillis();
        if (Math.abs(intensity - 1) > 1e-9) {
            b.append(" --intensity ").append(trim(Math.round(intensity * 100) / 100.0));
        }
        if (spec.schedule().recoveryMillis() > 0) {
            b.append(" --recovery-window ").append(trim(spec.schedule().recoveryMillis() / 1000.0));
        }
        if (spec.options().get("bug") != null) {
            b.append(" --bug ").append(spec.options().get("bug"));
        }
        b.append(" --seed ").append(spec.seed());
        if (spec.clientGenerator() != null
                || spec.nemesisGenerator() != null
                || !spec.extraChecks().isEmpty()) {
            b.append("  (approximately: this test has a custom generator or check;")
                    .append(" re-run it from its code with seed ")
                    .append(spec.seed())
                    .append(')');
        }
        return b.toString();
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
