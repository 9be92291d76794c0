package dev.linden.kvnode.tls;

import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Who a certificate of a Linden cluster names, read from its subject: {@code CN} the node
 * ({@code node-3}) or client name, {@code O} the cluster id, {@code OU} the role ({@code linden-node}
 * or {@code linden-client}). A peer's node id and cluster id are believed only from its certificate,
 * which the cluster's CA signed; what the peer says in its Hello must agree.
 *
 * @param role      what the holder may be
 * @param name      the node id as a string for a node, the client's name for a client
 * @param clusterId the cluster the CA issued it for
 */
public record CertIdentity(Role role, String name, String clusterId) {
    /**
     * A node takes part in Raft on the peer port; a client only talks to client ports; an admin is a client
     * that may also change membership and move leadership (as may nodes' certificates).
     */
    public enum Role {
        NODE("linden-node"),
        CLIENT("linden-client"),
        ADMIN("linden-admin");

        final String unit;

        Role(String unit) {
            this.unit = unit;
        }

        static Role ofUnit(String unit) {
            for (Role r : values()) {
                if (r.unit.equals(unit)) {
                    return r;
                }
            }
            return null;
        }
    }

    public static final String NODE_PREFIX = "node-";

    public CertIdentity {
        if (role == null || name == null || name.isEmpty() || clusterId == null || clusterId.isEmpty()) {
            throw new IllegalArgumentException("a certificate identity needs a role, a name and a cluster id");
        }
    }

    public static CertIdentity node(int id, String clusterId) {
        return new CertIdentity(Role.NODE, NODE_PREFIX + id, clusterId);
    }

    public static CertIdentity client(String name, String clusterId) {
        return new CertIdentity(Role.CLIENT, name, clusterId);
    }

    public static CertIdentity admin(String clusterId) {
        return new CertIdentity(Role.ADMIN, "admin", clusterId);
    }

    /** The node id this identity names, or 0 if it is not a node's. */
    public int nodeId() {
        if (role != Role.NODE || !name.startsWith(NODE_PREFIX)) {
            return 0;
        }
        try {
            int id = Integer.parseInt(name.substring(NODE_PREFIX.length()));
            // Only the canonical form names a node: "node-02" or "node-+2" is nobody.
            return id > 0 && name.equals(NODE_PREFIX + id) ? id : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The subject a certificate for this identity carries. */
    public X500Principal subject() {
        try {
            LdapName n = new LdapName(List.of(new Rdn("O", clusterId), new Rdn("OU", role.unit), new Rdn("CN", name)));
            return new X500Principal(n.toString());
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("cannot name " + this + ": " + e.getMessage(), e);
        }
    }

    /**
     * The identity a certificate names; throws IllegalArgumentException (saying what is missing) for a
     * certificate that is not one of a Linden cluster's.
     */
    public static CertIdentity of(X509Certificate cert) {
        Map<String, String> rdns = subjectOf(cert);
        String cn = rdns.get("CN");
        String o = rdns.get("O");
        String ou = rdns.get("OU");
        Role role = ou == null ? null : Role.ofUnit(ou);
        if (cn == null || o == null || role == null) {
            throw new IllegalArgumentException(
                    "certificate '" + cert.getSubjectX500Principal().getName()
                            + "' is not a Linden cluster's (it needs CN=<node-N|client name>, O=<cluster id>, "
                            + "OU=linden-node|linden-client|linden-admin)");
        }
        return new CertIdentity(role, cn, o);
    }

    /** The subject's CN, O and OU; a subject with two of one, or a multi-valued RDN, names nobody. */
    static Map<String, String> subjectOf(X509Certificate cert) {
        Map<String, String> out = new HashMap<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns()) {
                String type = rdn.getType().toUpperCase(Locale.ROOT);
                if (rdn.size() != 1) {
                    throw new IllegalArgumentException("certificate subject with a multi-valued name: "
                            + cert.getSubjectX500Principal().getName());
                }
                if ((type.equals("CN") || type.equals("O") || type.equals("OU"))
                        && out.put(type, String.valueOf(rdn.getValue())) != null) {
                    throw new IllegalArgumentException("certificate subject names two " + type + ": "
                            + cert.getSubjectX500Principal().getName());
                }
            }
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("unreadable certificate subject: " + e.getMessage(), e);
        }
        return out;
    }

    /** The subject of a cluster's CA certificate: not an identity any peer or client can hold. */
    static X500Principal caSubject(String clusterId) {
        try {
            return new X500Principal(new LdapName(
                            List.of(new Rdn("O", clusterId), new Rdn("OU", "linden-ca"), new Rdn("CN", "linden-ca")))
                    .toString());
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("cannot name the CA of cluster " + clusterId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return role.name().toLowerCase(Locale.ROOT) + " certificate " + name + " of cluster " + clusterId;
    }
}
