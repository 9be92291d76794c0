package dev.linden.cli;

import dev.linden.kvnode.client.IndeterminateException;
import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.LimitExceededException;
import dev.linden.kvnode.client.RequestFailedException;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.tls.ClientSecurity;
import dev.linden.kvnode.tls.TlsFiles;
import dev.linden.realenv.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./linden kv get KEY | put KEY VALUE | cas KEY EXPECTED NEW | delete KEY | append KEY VALUE
 * | range KEY [END] | txn} (txn reads etcdctl's format from standard input, see {@link TxnScript}).
 * Exit codes: 0 done, 1 CAS mismatch, the transaction's failure branch ran or the lease (the lock's) is gone,
 * 2 outcome unknown, 3 failed or bad usage.
 */
@Command(name = "kv", mixinStandardHelpOptions = true, description = "Read and write keys in a running cluster.")
public final class KvCliCommand implements Callable<Integer> {
    @Option(names = "--endpoints", description = "1=host:port,2=host:port,... (default: from --dir)")
    String endpoints;

    @Option(names = "--dir", description = "a cluster directory made by 'cluster start' (default ./linden-data)")
    Path dir = Path.of("linden-data");

    @Option(names = "--cacert", description = "with --endpoints: the cluster's CA certificate (etcdctl's name)")
    Path cacert;

    @Option(names = "--cert", description = "with --endpoints: the client certificate")
    Path cert;

    @Option(names = "--key", description = "with --endpoints: the client key")
    Path key;

    @Option(
            names = "--token-file",
            description = "with --endpoints and --cacert: present the token in this file "
                    + "instead of a client certificate")
    Path tokenFile;

    @Option(names = "--insecure", description = "with --endpoints: plain TCP, no TLS")
    boolean insecure;

    @Parameters(description = USAGE)
    List<String> args;

    @Option(names = "--prefix", description = "range: every key starting with KEY")
    boolean prefix;

    @Option(names = "--limit", description = "range: at most this many keys (0: no limit)")
    long limit;

    @Option(names = "--keys-only", description = "range: keys without their values")
    boolean keysOnly;

    @Option(names = "--count-only", description = "range: the number of keys only")
    boolean countOnly;

    @Option(names = "--lease", description = "put: attach the key to this lease (deleted with it)")
    long lease;

    @Option(names = "--ttl", description = "lock: the TTL of the lease the lock is held under, seconds (60)")
    long ttlSeconds = 60;

    @Option(names = "--rev", description = "watch: from this revision on (default: from now on)")
    long rev;

    @Option(names = "--prev-kv", description = "watch: with each change, the value before it")
    boolean prevKv;

    @Option(names = "--once", description = "lease keep-alive: one keep-alive, then exit (else every TTL/3)")
    boolean once;

    private static final String USAGE = "get KEY | put KEY VALUE | cas KEY EXPECTED NEW | delete KEY | append KEY VALUE"
            + " | range KEY [END] [--prefix] [--limit N] [--keys-only] [--count-only] | txn (from standard input)"
            + " | lease grant TTL_SECONDS | lease keep-alive ID [--once] | lease revoke ID | put --lease ID KEY VALUE"
            + " | lock NAME [--ttl SECONDS] | watch KEY [END] [--prefix] [--rev N] [--prev-kv]";

    @Override
    public Integer call() throws Exception {
        if (args == null || args.isEmpty()) {
            System.err.println(
                    "linden kv: give an operation: get, put, cas, delete, append, range, txn, lease, lock or watch");
            return 3;
        }
        String spec = endpoints;
        if (spec == null) {
            if (!Files.exists(dir.resolve("cluster.properties"))) {
                System.err.println("linden kv: no --endpoints and no cluster in " + dir);
                return 3;
            }
            spec = LocalCluster.open(dir).clientEndpointsSpec();
        }
        ClientSecurity security = security();
        if (security == null) {
            return 3;
        }
        String op = args.get(0);
        int want = switch (op) {
            case "txn" -> 1;
            case "get", "delete" -> 2;
            case "put", "append" -> 3;
            case "cas" -> 4;
            case "range" -> args.size() == 3 && !prefix ? 3 : 2;
            case "lease" -> 3;
            case "lock" -> 2;
            case "watch" -> args.size() == 3 && !prefix ? 3 : 2;
            default -> -1;
        };
        if (want < 0 || args.size() != want) {
            System.err.println("linden kv: usage: " + USAGE);
            return 3;
        }
        try (KvClient client =
                new KvClient(KvClient.parseEndpoints(spec), KvClient.Options.defaults(), null, security)) {
            Integer done = apiCall(client, op);
            if (done != null) {
                return done;
            }
            KvResult r = client.await(
                    switch (op) {
                        case "get" -> client.get(args.get(1));
                        case "put" -> client.put(args.get(1), args.get(2));
                        case "append" -> client.append(args.get(1), args.get(2));
                        case "delete" -> client.delete(args.get(1));
                        default -> client.cas(args.get(1), args.get(2), args.get(3));
                    });
            if (r.status() == KvResult.Status.CAS_MISMATCH) {
                System.out.println("mismatch: current value is " + (r.value() == null ? "(absent)" : r.value()));
                return 1;
            }
            if (op.equals("get")) {
                System.out.println(r.value() == null ? "(absent)" : r.value());
            } else {
                System.out.println("OK");
            }
            return 0;
        } catch (IndeterminateException e) {
            System.err.println("linden kv: outcome unknown: " + e.getMessage());
            return 2;
        } catch (RequestFailedException e) {
            System.err.println("linden kv: failed: " + e.getMessage());
            return 3;
        } catch (LimitExceededException e) {
            System.err.println("linden kv: failed, nothing sent: " + e.getMessage());
            return 3;
        }
    }

    /** range, txn, watch, lock, lease and a put with a lease: their exit code; null for the plain ops. */
    private Integer apiCall(KvClient client, String op) throws Exception {
        switch (op) {
            case "range", "txn" -> {
                return KvCliOutput.rangeOrTxn(client, op.equals("range") ? range() : null);
            }
            case "watch" -> {
                return KvCliOutput.watch(client, range(), rev, prevKv);
            }
            case "lock" -> {
                return KvCliOutput.lock(client, args.get(1), ttlSeconds);
            }
            case "lease" -> {
                return KvCliOutput.lease(client, args.get(1), args.get(2), once);
            }
            default -> {
                if (!op.equals("put") || lease == 0) {
                    return null;
                }
                client.await(client.leases().put(args.get(1), args.get(2), lease));
                System.out.println("OK");
                return 0;
            }
        }
    }

    private KvRange range() {
        String key = args.get(1);
        KvRange r =
                prefix ? KvRange.prefix(key) : args.size() == 3 ? KvRange.between(key, args.get(2)) : KvRange.key(key);
        return new KvRange(r.key(), r.end(), limit, keysOnly, countOnly);
    }

    /** The client's credentials from the options (or the local cluster's), or null after saying what is wrong. */
    private ClientSecurity security() throws IOException {
        if (endpoints == null) {
            return LocalCluster.open(dir).clientSecurity();
        }
        if (insecure == (cacert != null || cert != null || key != null)) {
            System.err.println("linden kv: with --endpoints give --cacert, --cert and --key, or --insecure");
            return null;
        }
        if (insecure) {
            return ClientSecurity.plain();
        }
        try {
            if (tokenFile != null) {
                if (cacert == null || cert != null || key != null) {
                    System.err.println("linden kv: --token-file goes with --cacert (and no --cert or --key)");
                    return null;
                }
                return ClientSecurity.tlsWithToken(cacert, Files.readString(tokenFile));
            }
            if (cacert == null || cert == null || key == null) {
                System.err.println("linden kv: --cacert, --cert and --key go together");
                return null;
            }
            return ClientSecurity.tls(new TlsFiles(cacert, cert, key));
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("linden kv: " + e.getMessage());
            return null;
        }
    }
}
