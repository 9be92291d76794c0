package dev.linden.cli;

import dev.linden.kvnode.tls.CertificateAuthority;
import dev.linden.kvnode.tls.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./linden certs --nodes 3 --dir DIR}: a cluster's CA and its nodes' and clients' certificates. */
@Command(
        name = "certs",
        mixinStandardHelpOptions = true,
        description = "Make a CA and per-node and client "
                + "certificates for a cluster (mutual TLS between nodes, client certificates on client ports).")
public final class CertsCommand implements Callable<Integer> {
    @Option(names = "--nodes", description = "certificates for nodes 1..N (default 3)")
    int nodes = 3;

    @Option(names = "--dir", required = true, description = "where to write them (a CA already there is kept)")
    Path dir;

    @Option(
            names = "--cluster-id",
            description = "the cluster the certificates are for (default: a new id, printed); "
                    + "give the nodes the same --cluster-id")
    String clusterId;

    @Option(names = "--client", split = ",", description = "client certificate names (default: client)")
    List<String> clients = List.of(CertificateAuthority.CLIENT);

    @Option(names = "--days", description = "how long node and client certificates are valid (default 365)")
    int days = 365;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || days < 1) {
            System.err.println("linden certs: --nodes and --days must be >= 1");
            return 3;
        }
        String id = clusterId != null ? clusterId : "linden-" + UUID.randomUUID();
        CertificateAuthority ca;
        try {
            ca = CertificateAuthority.openOrCreate(dir, id, Duration.ofDays(days));
            System.out.println("CA of cluster " + id + ": " + ca.caCertFile() + " (keep ca.key away from the nodes)");
            for (int i = 1; i <= nodes; i++) {
                ca.issueNode(i);
                System.out.println("node " + i + ": " + ca.nodeDir(i) + " (start it with --cluster-id " + id
                        + " --tls-dir " + ca.nodeDir(i) + ")");
            }
            for (String c : clients) {
                ca.issueClient(c);
                System.out.println("client " + c + ": " + ca.clientDir(c));
            }
            TlsFiles admin = ca.issueAdmin();
            System.out.println("admin (membership changes, leadership transfers): "
                    + admin.certFile().getParent());
        } catch (IllegalArgumentException e) {
            System.err.println("linden certs: " + e.getMessage());
            return 3;
        }
        System.out.println("give each node only its own directory; ca.key stays here");
        return 0;
    }
}
