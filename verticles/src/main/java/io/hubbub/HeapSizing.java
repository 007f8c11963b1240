package io.hubbub;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;

/**
 * A node keeps the heap its JVM grew to. G1 gives memory back after a marking cycle when more than
 * {@code MaxHeapFreeRatio} (70%) of the heap is free, and under a steady write load marking cycles come every second
 * or two (the store's pages live until its next checkpoint, so they die old): the heap shrank after each one, the
 * young generation with it, and grew back over the next collections, every page of it zeroed again by the kernel
 * (a tenth of the event loop's CPU under batches of 1,000 events, in a profile). Servers keep their heap (Elasticsearch
 * will not start in production unless {@code -Xms} equals {@code -Xmx}); so a node sets {@code MaxHeapFreeRatio} to
 * 100 when it starts, unless the JVM was given it ({@code -XX:MaxHeapFreeRatio=70} keeps the JVM's own sizing).
 */
final class HeapSizing {

  static final String FLAG = "MaxHeapFreeRatio";
  static final String KEPT = "100";
  private static final Logger log = LoggerFactory.getLogger(HeapSizing.class);

  private HeapSizing() {
  }

  /** Sets the flag on this JVM, unless given; a JVM without it (not HotSpot) is left as it is. */
  static void keepHeap() {
    try {
      HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      VMOption option = hotspot == null ? null : hotspot.getVMOption(FLAG);
      if (option != null && shouldKeep(option)) {
        hotspot.setVMOption(FLAG, KEPT);
        log.debug("the heap is kept once grown [{}: {} -> {}]", FLAG, option.getValue(), KEPT);
      }
    } catch (RuntimeException e) {
      log.debug("the heap's sizing is the JVM's own [error: {}]", e.toString());
    }
  }

  /** Whether to set the flag: the JVM's default, and it can be set while running. */
  static boolean shouldKeep(VMOption option) {
    return option.getOrigin() == VMOption.Origin.DEFAULT && option.isWriteable() && !KEPT.equals(option.getValue());
  }
}
