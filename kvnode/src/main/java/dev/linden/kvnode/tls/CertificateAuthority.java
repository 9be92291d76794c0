package dev.linden.kvnode.tls;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's own certificate authority, for {@code linden certs} and local clusters: a CA and, signed by
 * it, one certificate per node (for both sides of the peer port and the node's client port) and client
 * certificates. Keys are EC P-256 (quick handshakes), written as unencrypted PKCS#8 PEM readable only by
 * their owner; certificates as PEM. The files of a directory {@code DIR}, one directory per holder so that
 * each gets only its own key (a node given the CA's key, or another node's, could pose as any node):
 * <pre>
 *   ca.crt ca.key                               the CA (ca.key stays with the operator: it issues identities)
 *   node-N/ca.crt node-N/node-N.crt node-N/node-N.key   node N (CN=node-N, OU=linden-node, O=cluster id)
 *   clients/NAME/ca.crt client.crt client.key   a client (CN=NAME, OU=linden-client, O=cluster id)
 *   admin/ca.crt client.crt client.key          the operator's client (CN=admin, OU=linden-admin): it may
 *                                               also change membership and move leadership
 * </pre>
 * A directory that already holds a CA keeps it, so that nodes added later get certificates their peers
 * trust; the cluster id must then be the CA's own.
 */
public final class CertificateAuthority {
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String CLIENT = "client";
    private static final String SIGNATURE = "SHA256withECDSA";

    private final Path dir;
    private final String clusterId;
    private final X509Certificate caCert;
    private final PrivateKey caKey;
    private final Duration validity;
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateAuthority(
            Path dir, String clusterId, X509Certificate caCert, PrivateKey caKey, Duration validity) {
        this.dir = dir;
        this.clusterId = clusterId;
        this.caCert = caCert;
        this.caKey = caKey;
        this.validity = validity;
    }

    /** The CA in {@code dir}, made if the directory holds none; refused if it is another cluster's. */
    public static CertificateAuthority openOrCreate(Path dir, String clusterId, Duration validity) throws IOException {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("certificate validity must be positive");
        }
        Files.createDirectories(dir);
        Path cert = dir.resolve(CA_CERT);
        Path key = dir.resolve(CA_KEY);
        try {
            if (Files.exists(cert) || Files.exists(key)) {
                X509Certificate ca = readCertificate(cert);
                String caCluster = CertIdentity.subjectOf(ca).get("O");
                if (!clusterId.equals(caCluster)) {
                    throw new IllegalArgumentException(
                            dir + " holds the CA of cluster " + caCluster + ", not of " + clusterId);
                }
                return new CertificateAuthority(dir, clusterId, ca, readPrivateKey(key), validity);
            }
            KeyPair pair = newKeyPair();
            X500Principal caName = CertIdentity.caSubject(clusterId);
            X509Certificate ca = sign(caName, pair, null, pair.getPrivate(), Duration.ofDays(3650), null);
            writePrivate(key, pair.getPrivate());
            writeAtomically(cert, pem("CERTIFICATE", ca.getEncoded()));
            return new CertificateAuthority(dir, clusterId, ca, pair.getPrivate(), validity);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("certificate authority in " + dir + ": " + e.getMessage(), e);
        }
    }

    public String clusterId() {
        return clusterId;
    }

    public Path caCertFile() {
        return dir.resolve(CA_CERT);
    }

    /** Node {@code id}'s directory: give the node {@code --tls-dir} this, never {@link #dir} itself. */
    public Path nodeDir(int id) {
        return dir.resolve(CertIdentity.NODE_PREFIX + id);
    }

    /** Issues (or keeps, if present) node {@code id}'s certificate and key, in {@link #nodeDir}; answers its files. */
    public TlsFiles issueNode(int id) throws IOException {
        if (id < 1) {
            throw new IllegalArgumentException("node ids are >= 1");
        }
        return issue(CertIdentity.node(id, clusterId), TlsFiles.forNode(nodeDir(id), id));
    }

    /** Client {@code name}'s directory. */
    public Path clientDir(String name) {
        return dir.resolve("clients").resolve(name);
    }

    /** Issues (or keeps) the client certificate {@code name}, in {@link #clientDir}; answers its files. */
    public TlsFiles issueClient(String name) throws IOException {
        if (!name.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("a client name is 1 to 64 lower-case letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit: " + name);
        }
        return issue(CertIdentity.client(name, clusterId), TlsFiles.forClient(clientDir(name)));
    }

    /** Issues (or keeps) the operator's certificate (role admin), in {@code DIR/admin}; answers its files. */
    public TlsFiles issueAdmin() throws IOException {
        return issue(CertIdentity.admin(clusterId), TlsFiles.forClient(dir.resolve("admin")));
    }

    /** Node {@code id}'s directory, its certificate issued if missing: what to give the node as {@code --tls-dir}. */
    public Path issuedNodeDir(int id) throws IOException {
        issueNode(id);
        return nodeDir(id);
    }

    /** Node {@code id}'s peer credentials (issued if missing): what it, or a link proxy acting as it, presents. */
    public NodeSecurity nodeSecurity(int id) throws IOException {
        return NodeSecurity.mutualTls(clusterId, id, issueNode(id), null, false);
    }

    /** An ordinary client's credentials: the client certificate {@link #CLIENT} (issued if missing). */
    public ClientSecurity clientSecurity() throws IOException {
        return ClientSecurity.tls(issueClient(CLIENT));
    }

    /** The operator's credentials: the admin certificate (issued if missing). */
    public ClientSecurity adminSecurity() throws IOException {
        return ClientSecurity.tls(issueAdmin());
    }

    private TlsFiles issue(CertIdentity who, TlsFiles files) throws IOException {
        Files.createDirectories(files.certFile().getParent());
        if (!Files.exists(files.trustedCaFile())) {
            writeAtomically(files.trustedCaFile(), Files.readString(caCertFile(), StandardCharsets.US_ASCII));
        }
        if (Files.exists(files.certFile()) && Files.exists(files.keyFile())) {
            try {
                X509Certificate kept = readCertificate(files.certFile());
                if (!CertIdentity.of(kept).equals(who)
                        || !kept.getIssuerX500Principal().equals(caCert.getSubjectX500Principal())) {
                    throw new IllegalArgumentException(files.certFile() + " is not the " + who + " of this CA");
                }
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot read " + files.certFile() + ": " + e.getMessage(), e);
            }
            return files;
        }
        try {
            KeyPair pair = newKeyPair();
            X509Certificate cert = sign(who.subject(), pair, caCert, caKey, validity, who.role());
            writePrivate(files.keyFile(), pair.getPrivate());
            writeAtomically(files.certFile(), pem("CERTIFICATE", cert.getEncoded()));
            return files;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("issuing " + who + ": " + e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** Signs a certificate: a self-signed CA's if {@code issuerCert} is null, else a leaf of {@code role}. */
    private static X509Certificate sign(
            X500Principal subject,
            KeyPair subjectKeys,
            X509Certificate issuerCert,
            PrivateKey issuerKey,
            Duration valid,
            CertIdentity.Role role)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        boolean ca = issuerCert == null;
        X500Principal issuer = ca ? subject : issuerCert.getSubjectX500Principal();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                issuer,
                new BigInteger(127, RANDOM),
                Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(valid)),
                subject,
                subjectKeys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            // A node is a TLS server (its ports) and a client (dialing peers); a client only a client.
            b.addExtension(
                    Extension.extendedKeyUsage,
                    false,
                    role == CertIdentity.Role.NODE
                            ? new ExtendedKeyUsage(
                                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
                            : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            if (role == CertIdentity.Role.NODE) {
                // For tools that check host names (Linden checks the subject instead): local clusters are on loopback.
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                }));
            }
        }
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(issuerKey)));
    }

    static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = text.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < from) {
            throw new GeneralSecurityException(file + " is not an unencrypted PKCS#8 PEM key");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void writePrivate(Path file, PrivateKey key) throws IOException {
        writeAtomically(file, pem("PRIVATE KEY", key.getEncoded()));
    }

    /**
     * Writes through a temporary file created new (never through a link planted there) and readable by its
     * owner only from its creation, then renamed over {@code file}.
     */
    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Set<OpenOption> how =
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        SeekableByteChannel ch;
        try {
            ch = Files.newByteChannel(
                    tmp, how, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            ch = Files.newByteChannel(tmp, how); // not a POSIX file system: its own defaults apply
        }
        try (SeekableByteChannel out = ch) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
