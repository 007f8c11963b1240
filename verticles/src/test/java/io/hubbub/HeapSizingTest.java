package io.hubbub;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** A node keeps its heap once grown, unless the JVM was told otherwise. */
class HeapSizingTest {

  @Test
  void onlyTheJvmsDefaultIsChanged() {
    assertThat(HeapSizing.shouldKeep(new VMOption(HeapSizing.FLAG, "70", true, VMOption.Origin.DEFAULT))).isTrue();
    assertThat(HeapSizing.shouldKeep(new VMOption(HeapSizing.FLAG, "70", true, VMOption.Origin.VM_CREATION)))
      .as("given on the command line").isFalse();
    assertThat(HeapSizing.shouldKeep(new VMOption(HeapSizing.FLAG, "70", true, VMOption.Origin.ENVIRON_VAR)))
      .as("given in JAVA_TOOL_OPTIONS").isFalse();
    assertThat(HeapSizing.shouldKeep(new VMOption(HeapSizing.FLAG, "70", false, VMOption.Origin.DEFAULT)))
      .as("not settable").isFalse();
    assertThat(HeapSizing.shouldKeep(new VMOption(HeapSizing.FLAG, "100", true, VMOption.Origin.DEFAULT))).isFalse();
  }

  @Test
  void thisJvmKeepsItsHeap() {
    HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    VMOption before = hotspot.getVMOption(HeapSizing.FLAG);
    HeapSizing.keepHeap();
    VMOption after = hotspot.getVMOption(HeapSizing.FLAG);
    if (before.getOrigin() == VMOption.Origin.DEFAULT) {
      assertThat(after.getValue()).isEqualTo(HeapSizing.KEPT);
      assertThat(after.getOrigin()).isEqualTo(VMOption.Origin.MANAGEMENT);
    } else {
      assertThat(after.getValue()).as("given to the test JVM: left as it was").isEqualTo(before.getValue());
    }
  }
}
