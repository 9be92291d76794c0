package dev.linden.cli;

import dev.linden.kvnode.server.NodeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./linden} command line. Each subcommand lives in its own class. */
@Command(
        name = "linden",
        mixinStandardHelpOptions = true,
        version = "linden 0.1.0",
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
        cl.addSubcommand("analyze", new AnalyzeCommand());
        cl.addSubcommand("serve", new ServeCommand());
        cl.addSubcommand("check", new CheckCommand());
        cl.addSubcommand("sim", new SimCommand());
        cl.addSubcommand("node", new NodeCommand());
        cl.addSubcommand("cluster", new ClusterCommand());
        cl.addSubcommand("kv", new KvCliCommand());
        cl.addSubcommand("bench", new BenchCommand());
        cl.addSubcommand("certs", new CertsCommand());
        return cl;
    }
}
