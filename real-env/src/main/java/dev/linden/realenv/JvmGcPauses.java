package dev.linden.realenv;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * This JVM's own collections as they happen (the bench client's: its pauses delay every write it times just as a
 * node's do), each with its wall-clock end, from the collectors' notifications. At most {@link #MAX_KEPT} kept.
 */
public final class JvmGcPauses {
    static final int MAX_KEPT = 100_000;

    private final List<GcPauses.Pause> pauses = new CopyOnWriteArrayList<>();

    private JvmGcPauses() {}

    /** Starts listening to every collector of this JVM. */
    public static JvmGcPauses start() {
        JvmGcPauses out = new JvmGcPauses();
        long jvmStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(
                        (n, handback) -> {
                            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())
                                    && out.pauses.size() < MAX_KEPT) {
                                var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                                out.pauses.add(new GcPauses.Pause(
                                        info.getGcInfo().getDuration(),
                                        jvmStartMillis + info.getGcInfo().getEndTime()));
                            }
                        },
                        null,
                        null);
            }
        }
        return out;
    }

    /** {@code gc pauses n=… max=… total=… ms} of the collections that ended inside the window. */
    public String summary(long fromMillis, long toMillis) {
        List<GcPauses.Pause> in = pauses.stream()
                .filter(p -> p.endMillis() >= fromMillis && p.endMillis() <= toMillis)
                .toList();
        return GcPauses.describe(in);
    }
}
