package dev.linden.cli;

import dev.linden.reports.Server;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./linden serve}: a small web server listing every stored run, with its report and files. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = "Serve the store: a page listing every run (verdict coloured), with links to reports and files.")
public final class ServeCommand implements Callable<Integer> {
    @Option(
            names = {"-p", "--port"},
            description = "port (default 8080)")
    int port = 8080;

    @Option(
            names = {"-b", "--bind"},
            description = "address to listen on (default 127.0.0.1)")
    String bind = "127.0.0.1";

    @Option(names = "--store", description = "store directory (default ./store)")
    Path store = Path.of("store");

    @Override
    public Integer call() throws InterruptedException {
        Server s;
        try {
            s = Server.start(store, bind, port);
        } catch (IOException e) {
            System.err.println("linden serve: cannot listen on " + bind + ":" + port + ": " + e.getMessage());
            return 3;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            stop.countDown();
        }));
        System.out.println(
                "serving " + store.toAbsolutePath().normalize() + " at http://" + bind + ":" + s.port() + "/");
        System.out.flush();
        stop.await();
        return 0;
    }
}
