package dev.linden.workloads;

/** One operation a client is about to perform, in the checker's vocabulary (f, key, value). */
public record Invocation(String f, String key, Object value) {}
