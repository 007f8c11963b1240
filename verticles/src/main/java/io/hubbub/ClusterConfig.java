package io.hubbub;

import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import io.hubbub.conf.HubbubConf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * The Hazelcast configuration of a clustered node: {@code cluster/cluster.xml} (packaged in the jar as
 * {@code hubbub/cluster.xml}; {@code HUBBUB_CLUSTER_CONFIG} names a file that replaces it) with the
 * conf's cluster name, this node's address and the members to join filled in.
 */
final class ClusterConfig {

  static final String FILE_VARIABLE = "HUBBUB_CLUSTER_CONFIG";
  private static final String RESOURCE = "hubbub/cluster.xml";
  /** How long the others wait for a silent member before they drop it (Hazelcast's default: 60 s). */
  static final String HEARTBEAT_TIMEOUT = "hazelcast.max.no.heartbeat.seconds";

  private ClusterConfig() {
  }

  static Config load(HubbubConf.Cluster cluster) {
    Properties properties = new Properties();
    properties.setProperty("hubbub.cluster.name", cluster.name());
    properties.setProperty("hubbub.cluster.host", cluster.host());
    properties.setProperty("hubbub.cluster.port", String.valueOf(cluster.port()));
    properties.setProperty("hubbub.cluster.members", String.join(",", cluster.members().isEmpty() ? List.of(cluster.host()) : cluster.members()));
    String file = System.getenv(FILE_VARIABLE);
    try (InputStream xml = file != null && !file.isBlank() ? Files.newInputStream(Path.of(file))
      : ClusterConfig.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (xml == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return new XmlConfigBuilder(xml).setProperties(properties).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster configuration " + file, e);
    }
  }
}
