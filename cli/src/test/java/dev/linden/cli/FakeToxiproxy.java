package dev.linden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for a Toxiproxy server in tests, as no real one can be installed here: the part of its HTTP
 * API the Java client uses (version, proxies, toxics), and plain TCP forwarding for each proxy. It records
 * the toxics it was asked for rather than applying them: what the test checks is that the harness drives
 * a Toxiproxy server as documented and that traffic really passes its proxies.
 */
final class FakeToxiproxy implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer http;
    final Map<String, Forwarder> proxies = new ConcurrentHashMap<>();
    /** Every toxic ever created, as "proxy/toxic type". */
    final List<String> toxicsCreated = Collections.synchronizedList(new ArrayList<>());

    final Map<String, Map<String, Object>> toxicsActive = new ConcurrentHashMap<>();
    final AtomicLong bytesForwarded = new AtomicLong();
    final AtomicLong proxiesDeleted = new AtomicLong();

    FakeToxiproxy() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/", this::handle);
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String[] path = ex.getRequestURI().getPath().replaceAll("^/+", "").split("/");
        byte[] body = ex.getRequestBody().readAllBytes();
        try {
            if (path[0].equals("version")) {
                reply(ex, 200, "2.9.0");
            } else if (path[0].equals("proxies") && path.length == 1 && method.equals("POST")) {
                Map<?, ?> req = JSON.readValue(body, Map.class);
                Forwarder f = new Forwarder(
                        (String) req.get("name"), (String) req.get("listen"), (String) req.get("upstream"));
                proxies.put(f.name, f);
                reply(ex, 201, JSON.writeValueAsString(f.json()));
            } else if (path[0].equals("proxies") && path.length == 2) {
                Forwarder f = proxies.get(path[1]);
                if (f == null) {
                    reply(ex, 404, "{\"error\":\"proxy not found\"}");
                } else if (method.equals("DELETE")) {
                    proxies.remove(path[1]).close();
                    proxiesDeleted.incrementAndGet();
                    reply(ex, 204, "");
                } else {
                    reply(ex, 200, JSON.writeValueAsString(f.json()));
                }
            } else if (path[0].equals("proxies") && path.length >= 3 && path[2].equals("toxics")) {
                toxic(ex, method, path, body);
            } else {
                reply(ex, 404, "{\"error\":\"not found\"}");
            }
        } catch (RuntimeException e) {
            reply(ex, 500, "{\"error\":\"" + e + "\"}");
        }
    }

    @SuppressWarnings("unchecked")
    private void toxic(HttpExchange ex, String method, String[] path, byte[] body) throws IOException {
        String proxy = path[1];
        if (path.length == 3 && method.equals("POST")) {
            Map<String, Object> t = new LinkedHashMap<>(JSON.readValue(body, Map.class));
            t.putIfAbsent("toxicity", 1.0);
            t.putIfAbsent("attributes", new LinkedHashMap<>());
            toxicsActive.put(proxy + "/" + t.get("name"), t);
            toxicsCreated.add(proxy + "/" + t.get("type"));
            reply(ex, 200, JSON.writeValueAsString(t));
            return;
        }
        String key = proxy + "/" + path[3];
        Map<String, Object> t = toxicsActive.get(key);
        if (t == null) {
            reply(ex, 404, "{\"error\":\"toxic not found\"}");
        } else if (method.equals("DELETE")) {
            toxicsActive.remove(key);
            reply(ex, 204, "");
        } else if (method.equals("POST")) {
            Map<String, Object> update = JSON.readValue(body, Map.class);
            if (update.get("attributes") instanceof Map<?, ?> a) {
                ((Map<String, Object>) t.get("attributes")).putAll((Map<String, Object>) a);
            }
            reply(ex, 200, JSON.writeValueAsString(t));
        } else {
            reply(ex, 200, JSON.writeValueAsString(t));
        }
    }

    private static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(code, code == 204 ? -1 : b.length);
        if (code != 204) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
        ex.close();
    }

    @Override
    public void close() {
        http.stop(0);
        proxies.values().forEach(Forwarder::close);
    }

    /** One proxy: accepts on its listen address and copies bytes both ways to its upstream. */
    final class Forwarder implements AutoCloseable {
        final String name;
        final String listen;
        final String upstream;
        private final ServerSocket server;
        private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());

        Forwarder(String name, String listen, String upstream) {
            this.name = name;
            this.listen = listen;
            this.upstream = upstream;
            try {
                int colon = listen.lastIndexOf(':');
                server = new ServerSocket(
                        Integer.parseInt(listen.substring(colon + 1)),
                        50,
                        InetAddress.getByName(listen.substring(0, colon)));
            } catch (IOException e) {
                throw new IllegalStateException("cannot listen on " + listen, e);
            }
            Thread t = new Thread(this::accept, "fake-toxiproxy-" + name);
            t.setDaemon(true);
            t.start();
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("listen", listen);
            m.put("upstream", upstream);
            m.put("enabled", true);
            m.put("toxics", List.of());
            return m;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    int colon = upstream.lastIndexOf(':');
                    Socket out =
                            new Socket(upstream.substring(0, colon), Integer.parseInt(upstream.substring(colon + 1)));
                    open.add(in);
                    open.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    // closed, or the upstream refused: the dialer retries
                }
            }
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(
                    () -> {
                        byte[] buf = new byte[16 * 1024];
                        try (InputStream in = from.getInputStream();
                                OutputStream out = to.getOutputStream()) {
                            for (int n; (n = in.read(buf)) > 0; ) {
                                out.write(buf, 0, n);
                                bytesForwarded.addAndGet(n);
                            }
                        } catch (IOException e) {
                            // a side closed
                        } finally {
                            closeQuietly(from);
                            closeQuietly(to);
                        }
                    },
                    "fake-toxiproxy-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() {
            closeQuietly(server);
            new ArrayList<>(open).forEach(FakeToxiproxy::closeQuietly);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
