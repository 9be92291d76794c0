package dev.linden.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./linden} command line. Each subcommand lives in its own class. */
@Command(name = "linden", mixinStandardHelpOptions = true, version = "linden 0.1.0",
        description = "A Raft key-value store and a Jepsen-style harness that checks it for linearizability.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("test", new TestCommand());
        cl.addSubcommand("check", new CheckCommand());
        cl.addSubcommand("sim", new SimCommand());
        cl.addSubcommand("node", new NodeCommand());
        cl.addSubcommand("cluster", new ClusterCommand());
        cl.addSubcommand("kv", new KvCliCommand());
        cl.addSubcommand("bench", new BenchCommand());
        return cl;
    }

    /** Listed for --help; the launcher script runs the suite itself (it needs Maven, not this JVM). */
    @Command(name = "test", description = "Run the whole test suite (mvn -B verify). Handled by the ./linden script.")
    static final class TestCommand implements Runnable {
        @Override
        public void run() {
            System.err.println("run the test suite with ./linden test (it calls mvn -B verify)");
        }
    }
}
