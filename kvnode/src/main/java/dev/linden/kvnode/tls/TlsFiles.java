package dev.linden.kvnode.tls;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The three files of one TLS identity, as etcd names them: the CA whose certificates are trusted, this
 * holder's certificate and its private key (PEM, the key unencrypted PKCS#8).
 */
public record TlsFiles(Path trustedCaFile, Path certFile, Path keyFile) {
    public TlsFiles {
        if (trustedCaFile == null || certFile == null || keyFile == null) {
            throw new IllegalArgumentException("TLS needs a trusted CA file, a certificate file and a key file");
        }
    }

    /** Node {@code id}'s files in its own directory ({@link CertificateAuthority#nodeDir}). */
    public static TlsFiles forNode(Path dir, int id) {
        return new TlsFiles(
                dir.resolve(CertificateAuthority.CA_CERT),
                dir.resolve(CertIdentity.NODE_PREFIX + id + ".crt"),
                dir.resolve(CertIdentity.NODE_PREFIX + id + ".key"));
    }

    /** A client's files in its own directory ({@link CertificateAuthority#clientDir}, or {@code DIR/admin}). */
    public static TlsFiles forClient(Path dir) {
        return new TlsFiles(
                dir.resolve(CertificateAuthority.CA_CERT), dir.resolve("client.crt"), dir.resolve("client.key"));
    }

    /** Throws IllegalArgumentException naming the first file that cannot be read. */
    public TlsFiles checkReadable() {
        for (Path p : new Path[] {trustedCaFile, certFile, keyFile}) {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("cannot read " + p);
            }
        }
        return this;
    }
}
