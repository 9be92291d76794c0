package dev.linden.kvnode.kv;

/**
 * A key's value in {@link ValueStore}: its handle (slab << 32 | offset), or NULL_VALUE, and its revisions (as etcd
 * keeps them: the store's revision when the key was created and when it was last written, and its writes since
 * it was created). Mutable so an overwrite allocates nothing; its fields are written by ValueStore only.
 */
final class KeySlot {
    long handle;
    int keyBytes;
    /** {@link StateDigest#of} this key and its value, mixed with its revisions: what it adds to the digest. */
    long hash;

    long createRevision;
    long modRevision;
    long version;
    /** The lease the key is attached to (deleted with it), or 0. */
    long lease;

    long createRevision() {
        return createRevision;
    }

    long modRevision() {
        return modRevision;
    }

    long version() {
        return version;
    }

    long lease() {
        return lease;
    }
}
