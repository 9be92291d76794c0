package dev.linden.kvnode.server;

import java.nio.file.Path;
import java.util.Properties;

/** Values of the node's --config properties file: a flag wins over its property, which wins over the default. */
final class NodeProperties {
    private NodeProperties() {}

    static Path pathProp(Properties p, String name) {
        String v = p.getProperty(name);
        return v == null || v.isBlank() ? null : Path.of(v.trim());
    }

    static long orDefault(Long flag, Long property, long fallback) {
        return flag != null ? flag : property != null ? property : fallback;
    }

    /** The first of these that is set, or null. */
    static Long orNull(Long flag, Long property, Long olderProperty) {
        return flag != null ? flag : property != null ? property : olderProperty;
    }

    static Long longProp(Properties p, String name) {
        String v = p.getProperty(name);
        try {
            return v == null ? null : Long.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " in --config must be a number, not '" + v + "'");
        }
    }

    static Integer intProp(Properties p, String name) {
        Long v = longProp(p, name);
        return v == null ? null : Math.toIntExact(v);
    }
}
