package dev.linden.reports;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * {@code ./linden serve}: lists every stored run (name, time, workload, nemesis, verdict coloured as
 * Jepsen's web page does, operations) and serves each run's report and files. Read-only, GET and HEAD
 * only, paths confined to the store, a small fixed pool of threads.
 */
public final class Server implements AutoCloseable {
    private static final int THREADS = 4;
    private final Path store;
    private final HttpServer http;
    private final ExecutorService pool;

    private Server(Path store, HttpServer http, ExecutorService pool) {
        this.store = store;
        this.http = http;
        this.pool = pool;
    }

    /** Starts serving {@code store} on {@code host:port} (port 0: any free one). */
    public static Server start(Path store, String host, int port) throws IOException {
        Path root = store.toAbsolutePath().normalize();
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 64);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "serve");
            t.setDaemon(true);
            return t;
        });
        Server s = new Server(root, http, pool);
        http.setExecutor(pool);
        http.createContext("/", s::handle);
        http.start();
        return s;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                send(ex, 405, "text/plain", "GET only\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = ex.getRequestURI().getPath(); // percent-decoded; a "+" (in time stamps) stays a "+"
            if (path.equals("/favicon.ico")) {
                send(ex, 204, "image/x-icon", new byte[0]);
            } else if (path.equals("/")) {
                send(ex, 200, "text/html; charset=utf-8", listing().getBytes(StandardCharsets.UTF_8));
            } else if (path.startsWith("/files/")) {
                file(ex, path.substring("/files/".length()));
            } else {
                send(ex, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or a run directory changed under us: nothing to keep
        }
    }

    private void file(HttpExchange ex, String rel) throws IOException {
        Path p = store.resolve(rel).normalize();
        if (!p.startsWith(store) || !Files.exists(p) || !p.toRealPath().startsWith(store.toRealPath())) {
            send(ex, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (Files.isDirectory(p)) {
            StringBuilder b = new StringBuilder("<!DOCTYPE html><meta charset=utf-8><title>")
                    .append(Html.esc(rel))
                    .append("</title><h1>")
                    .append(Html.esc(rel))
                    .append("</h1><ul>");
            try (Stream<Path> ls = Files.list(p)) {
                ls.sorted().forEach(c -> {
                    String name = c.getFileName().toString() + (Files.isDirectory(c) ? "/" : "");
                    b.append("<li><a href=\"")
                            .append(Html.esc(name))
                            .append("\">")
                            .append(Html.esc(name))
                            .append("</a></li>");
                });
            }
            if (!rel.endsWith("/") && !rel.isEmpty()) {
                ex.getResponseHeaders().add("Location", "/files/" + rel + "/");
                send(ex, 301, "text/plain", new byte[0]);
                return;
            }
            send(
                    ex,
                    200,
                    "text/html; charset=utf-8",
                    b.append("</ul>").toString().getBytes(StandardCharsets.UTF_8));
            return;
        }
        String name = p.getFileName().toString();
        String type = name.endsWith(".html")
                ? "text/html; charset=utf-8"
                : name.endsWith(".json")
                        ? "application/json"
                        : name.endsWith(".svg")
                                ? "image/svg+xml"
                                : name.endsWith(".png") ? "image/png" : "text/plain; charset=utf-8";
        send(ex, 200, type, Files.readAllBytes(p));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** One stored run, for the listing. */
    record Row(String name, String time, String rel, String workload, String nemesis, String verdict, String ops) {}

    List<Row> runs() throws IOException {
        List<Row> rows = new ArrayList<>();
        if (!Files.isDirectory(store)) {
            return rows;
        }
        try (Stream<Path> names = Files.list(store)) {
            for (Path name : names.filter(Files::isDirectory)
                    .filter(p -> !Files.isSymbolicLink(p))
                    .sorted()
                    .toList()) {
                try (Stream<Path> runs = Files.list(name)) {
                    for (Path run : runs.filter(Files::isDirectory)
                            .filter(p -> !Files.isSymbolicLink(p))
                            .toList()) {
                        if (!Files.isRegularFile(run.resolve("test.json"))) {
                            continue;
                        }
                        Map<?, ?> test = read(run.resolve("test.json"));
                        Map<?, ?> results = Files.isRegularFile(run.resolve("results.json"))
                                ? read(run.resolve("results.json"))
                                : Map.of();
                        String verdict = results.isEmpty() ? "incomplete" : Report.verdictText(results.get("valid"));
                        rows.add(new Row(
                                name.getFileName().toString(),
                                run.getFileName().toString(),
                                store.relativize(run).toString(),
                                String.valueOf(test.get("workload")),
                                String.valueOf(test.get("nemesis")),
                                verdict,
                                String.valueOf(RunData.get(results, "counts", "invoked"))));
                    }
                }
            }
        }
        rows.sort(Comparator.comparing(Row::time).reversed());
        return rows;
    }

    private static Map<?, ?> read(Path p) {
        try {
            return RunData.JSON.readValue(p.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            return Map.of();
        }
    }

    private String listing() throws IOException {
        StringBuilder b = new StringBuilder(
                        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Linden runs</title><style>"
                                + "body{font-family:system-ui,sans-serif;margin:20px}table{border-collapse:collapse}"
                                + "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}"
                                + "tr.valid td.v{background:#cfe3ff}tr.invalid td.v{background:#ffc9d6}"
                                + "tr.unknown td.v{background:#ffd9a8}tr.incomplete td.v{background:#eee}"
                                + "</style></head><body><h1>Linden runs</h1><p>Store: ")
                .append(Html.esc(store.toString()))
                .append("</p>");
        List<Row> rows = runs();
        b.append("<table id=\"runs\"><tr><th>name</th><th>time</th><th>workload</th><th>nemesis</th><th>valid?</th>"
                + "<th>ops</th><th>files</th></tr>");
        for (Row r : rows) {
            String base = "/files/" + r.rel() + "/";
            b.append("<tr class=\"")
                    .append(r.verdict())
                    .append("\"><td>")
                    .append(Html.esc(r.name()))
                    .append("</td><td><a href=\"")
                    .append(Html.esc(base))
                    .append("index.html\">")
                    .append(Html.esc(r.time()))
                    .append("</a></td><td>")
                    .append(Html.esc(r.workload()))
                    .append("</td><td>")
                    .append(Html.esc(r.nemesis()))
                    .append("</td><td class=\"v\">")
                    .append(r.verdict())
                    .append("</td><td>")
                    .append(Html.esc(r.ops()))
                    .append("</td><td><a href=\"")
                    .append(Html.esc(base))
                    .append("results.json\">results</a> <a href=\"")
                    .append(Html.esc(base))
                    .append("history.txt\">history</a> <a href=\"")
                    .append(Html.esc(base))
                    .append("\">all</a></td></tr>");
        }
        b.append("</table>");
        if (rows.isEmpty()) {
            b.append("<p>No runs stored yet: <code>./linden test</code> makes one.</p>");
        }
        return b.append("</body></html>").toString();
    }
}
